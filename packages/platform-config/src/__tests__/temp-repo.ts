import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import { expect } from "vitest";
import { ConfigError } from "../errors.js";

/** The repository this package lives in, with the real platform.config.json and apps. */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../../../..");

const created: string[] = [];

/** A platform config that validates, for tests to break one field of. */
export function validPlatform(): Record<string, unknown> {
  return {
    project: "demo",
    domain: "example.com",
    environments: {
      staging: { account: "111111111111", region: "eu-west-1", domain: "staging.example.com" },
      prod: { account: "222222222222", region: "eu-west-1" },
    },
  };
}

/**
 * Writes a repository into a fresh temp directory and returns its path: `files` maps a
 * repo-relative path to its content (a string is written as is, anything else as JSON). Each
 * app folder with a deploy.json gets a package.json unless `files` has one.
 */
export function writeRepo(files: Record<string, unknown>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "platform-config-"));
  created.push(root);
  const all: Record<string, unknown> = { ...files };
  for (const file of Object.keys(files)) {
    const match = /^apps\/([^/]+)\/deploy\.json$/.exec(file);
    const packageFile = `apps/${match?.[1]}/package.json`;
    if (match && !(packageFile in all)) {
      all[packageFile] = { name: `@repo/${match[1]}`, version: "1.2.3" };
    }
  }
  for (const [file, content] of Object.entries(all)) {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(
      target,
      typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`,
    );
  }
  return root;
}

/**
 * The template's platform config and sample manifests as they ship, in a fresh temp directory:
 * tests that expect the template's values use it, because the repository's own files are the
 * team's to change (npm run setup, new or removed apps). Removed with the others by removeRepos.
 */
export function templateRepo(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "platform-config-"));
  created.push(root);
  return writeTemplateRepo(root);
}

/** Removes every directory writeRepo made; call from afterEach. */
export function removeRepos(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs `fn`, expects a ConfigError and returns it. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

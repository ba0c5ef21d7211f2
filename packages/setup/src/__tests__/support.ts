import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RepoCopy } from "@repo/test-kit/repo-copy";
import { TEMPLATE_PLATFORM_CONFIG, writeTemplateRepo } from "@repo/test-kit/template-repo";
import type { RawAnswers } from "../answers.js";

/** What a new team answers. */
export const ACME: RawAnswers = {
  project: "acme",
  domain: "acme.dev",
  hostedZoneId: "Z0123456789ABCDEFGHIJ",
  account: "123456789012",
  region: "eu-central-1",
  environments: "staging,prod",
  github: "acme-co/platform",
};

/**
 * A copy of this repository (node_modules shared, read only) whose platform config and sample
 * manifests are the template's as it ships, whatever this repository's own have become.
 */
export function templateCopy(): RepoCopy {
  const copy = RepoCopy.create({ project: "platform" });
  writeTemplateRepo(copy.dir);
  writeFileSync(
    path.join(copy.dir, "platform.config.json"),
    `${JSON.stringify(
      {
        $schema: "./packages/platform-config/schema/platform.schema.json",
        ...TEMPLATE_PLATFORM_CONFIG,
      },
      null,
      2,
    )}\n`,
  );
  copy.commit("the template's config");
  return copy;
}

/** A hash of every file of the copy but node_modules and .git, by path. */
export function fileHashes(root: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".git") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        hashes[path.relative(root, full)] = createHash("sha256")
          .update(readFileSync(full))
          .digest("hex");
      }
    }
  };
  walk(root);
  return hashes;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON read back for assertions
export function readJson(root: string, file: string): any {
  return JSON.parse(readFileSync(path.join(root, file), "utf8"));
}

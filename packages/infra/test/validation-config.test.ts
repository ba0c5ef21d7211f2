import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "@repo/platform-config/errors";
import { loadPlatform } from "@repo/platform-config/load";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import { afterEach, describe, expect, test } from "vitest";

// Subdomains, ports and counts are validated by @repo/platform-config when the config loads,
// before any stack is built; the infra does not check them again. This shows the order holds
// on the template's config and sample manifests.

const copies: string[] = [];

/** The template's platform config and sample manifests, in a temp folder. */
function copyRepo(): string {
  const root = writeTemplateRepo();
  copies.push(root);
  return root;
}

function editManifest(
  root: string,
  app: string,
  edit: (manifest: Record<string, unknown>) => void,
) {
  const file = path.join(root, "apps", app, "deploy.json");
  const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
}

afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("manifests are validated when the config loads, before synth", () => {
  test("the template's config loads", () => {
    expect(loadPlatform({ cwd: copyRepo() }).apps.map((app) => app.name)).toEqual(["api", "web"]);
  });

  test.each([
    [
      "minCount above desiredCount",
      (manifest: Record<string, unknown>) => {
        manifest.minCount = 3;
        manifest.desiredCount = 2;
      },
      /apps\/api\/deploy\.json: desiredCount = .*needs minCount <= desiredCount <= maxCount/,
    ],
    [
      "a subdomain that is not a DNS label",
      (manifest: Record<string, unknown>) => {
        manifest.subdomain = "API_1";
      },
      /apps\/api\/deploy\.json: subdomain = "API_1": is not valid/,
    ],
    [
      "a port out of range",
      (manifest: Record<string, unknown>) => {
        manifest.port = 70000;
      },
      /apps\/api\/deploy\.json: port = 70000/,
    ],
    [
      "the subdomain of another app",
      (manifest: Record<string, unknown>) => {
        manifest.subdomain = "web";
      },
      /apps\/web\/deploy\.json: subdomain = "web": is also the subdomain of app "api"/,
    ],
  ])("%s fails to load", (_name, edit, message) => {
    // GIVEN a copy of the repository with one bad manifest value
    const root = copyRepo();
    editManifest(root, "api", edit);
    // WHEN loaded THEN a ConfigError names the file and the field
    let error: unknown;
    try {
      loadPlatform({ cwd: root });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dependenciesOf, readWorkspaceGraph, WorkspaceGraphError } from "../workspace-graph.js";
import { repoRoot } from "./support.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository of package.json files: `{ "apps/api": { name, dependencies, ... } }`. */
function repo(workspaces: unknown, packages: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-graph-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "root", workspaces }));
  for (const [folder, json] of Object.entries(packages)) {
    mkdirSync(path.join(dir, folder), { recursive: true });
    writeFileSync(path.join(dir, folder, "package.json"), JSON.stringify(json));
  }
  return dir;
}

describe("readWorkspaceGraph", () => {
  it("reads every workspace and the workspaces it names in dependencies and devDependencies", () => {
    const root = repo(["apps/*", "packages/*"], {
      "apps/api": {
        name: "@repo/api",
        dependencies: { "@repo/server-kit": "*", express: "^5.0.0" },
        devDependencies: { "@repo/tsconfig": "*", vitest: "^4.0.0" },
      },
      "packages/server-kit": { name: "@repo/server-kit", dependencies: { pino: "^10.0.0" } },
      "packages/tsconfig": { name: "@repo/tsconfig" },
    });
    expect(readWorkspaceGraph(root).workspaces).toEqual([
      { name: "@repo/api", dir: "apps/api", dependencies: ["@repo/server-kit", "@repo/tsconfig"] },
      { name: "@repo/server-kit", dir: "packages/server-kit", dependencies: [] },
      { name: "@repo/tsconfig", dir: "packages/tsconfig", dependencies: [] },
    ]);
  });

  it("follows dependencies through other workspaces, and survives a cycle", () => {
    const root = repo(["apps/*", "packages/*"], {
      "apps/web": { name: "@repo/web", dependencies: { "@repo/ui": "*" } },
      "packages/ui": { name: "@repo/ui", dependencies: { "@repo/tokens": "*" } },
      "packages/tokens": { name: "@repo/tokens", devDependencies: { "@repo/ui": "*" } },
      "packages/unused": { name: "@repo/unused" },
    });
    const graph = readWorkspaceGraph(root);
    expect(dependenciesOf(graph, "@repo/web").map((w) => w.dir)).toEqual([
      "packages/tokens",
      "packages/ui",
    ]);
    expect(dependenciesOf(graph, "@repo/tokens").map((w) => w.dir)).toEqual(["packages/ui"]);
  });

  it("takes exact folders, a workspaces object and ! exclusions as npm does", () => {
    const root = repo(
      { packages: ["tools/cli", "packages/*", "!packages/old"] },
      {
        "tools/cli": { name: "@repo/cli" },
        "packages/new": { name: "@repo/new" },
        "packages/old": { name: "@repo/old" },
      },
    );
    expect(readWorkspaceGraph(root).workspaces.map((w) => w.dir)).toEqual([
      "packages/new",
      "tools/cli",
    ]);
  });

  it.each([
    [
      "a dependency on a workspace that does not exist",
      { "apps/api": { name: "@repo/api", dependencies: { "@repo/gone": "*" } } },
      'apps/api/package.json depends on "@repo/gone", which is no workspace of this repository: remove it, or create the workspace (packages/gone).',
    ],
    [
      "two workspaces of one name",
      { "apps/api": { name: "@repo/api" }, "packages/api": { name: "@repo/api" } },
      'packages/api/package.json and apps/api/package.json are both named "@repo/api": give each workspace its own name.',
    ],
    [
      "a workspace without a name",
      { "packages/kit": { version: "1.0.0" } },
      'packages/kit/package.json: "name" is missing: name the workspace, for example "@repo/kit".',
    ],
  ])("%s is an error that names the file and the fix", (_case, packages, message) => {
    const root = repo(["apps/*", "packages/*"], packages);
    expect(() => readWorkspaceGraph(root)).toThrow(WorkspaceGraphError);
    expect(() => readWorkspaceGraph(root)).toThrow(message);
  });

  it("refuses ** patterns rather than guess", () => {
    const root = repo(["packages/**"], {});
    expect(() => readWorkspaceGraph(root)).toThrow(/"packages\/\*\*" uses "\*\*"/);
  });

  it("this repository: the api depends on server-kit and the shared tsconfig, deploy-kit on more", () => {
    const graph = readWorkspaceGraph(repoRoot);
    expect(dependenciesOf(graph, "@repo/api").map((w) => w.dir)).toEqual([
      "packages/server-kit",
      "packages/typescript-config",
    ]);
    expect(dependenciesOf(graph, "@repo/deploy-kit").map((w) => w.name)).toEqual(
      expect.arrayContaining(["@repo/platform-config", "@repo/server-kit", "@repo/test-kit"]),
    );
  });
});

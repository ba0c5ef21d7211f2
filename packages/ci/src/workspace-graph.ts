import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** A workspace of the monorepo, as its package.json declares it. */
export interface Workspace {
  /** `name` from its package.json, e.g. `@repo/api`. */
  name: string;
  /** Its folder relative to the repository root, with forward slashes, e.g. `apps/api`. */
  dir: string;
  /** The workspaces it names in `dependencies` or `devDependencies`, sorted. */
  dependencies: string[];
}

/** Every workspace of the repository, sorted by folder. */
export interface WorkspaceGraph {
  root: string;
  workspaces: Workspace[];
}

/** A repository whose workspaces cannot be read; the message names the file and the fix. */
export class WorkspaceGraphError extends Error {
  override name = "WorkspaceGraphError";
}

/** The scope of internal packages: a dependency in it that is no workspace is a mistake. */
const INTERNAL_SCOPE = "@repo/";

interface PackageJson {
  name?: unknown;
  workspaces?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readPackageJson(file: string, shown: string): PackageJson {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new WorkspaceGraphError(
      `${shown} could not be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
    );
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new Error("not an object");
    }
    return json as PackageJson;
  } catch (error) {
    throw new WorkspaceGraphError(
      `${shown} is not valid JSON (${(error as Error).message}): fix it, then run the command again.`,
    );
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function subdirectories(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter(
      (entry) =>
        entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules",
    );
  } catch {
    return [];
  }
}

/**
 * The folders a `workspaces` pattern names, as npm reads it: each `*` is one folder level
 * (`apps/*`, `packages/*`); a folder counts when it has a package.json.
 */
function expandPattern(root: string, pattern: string): string[] {
  const segments = pattern
    .replace(/^\.\//, "")
    .replace(/\/+$/, "")
    .split("/")
    .filter((segment) => segment !== "" && segment !== ".");
  if (segments.some((segment) => segment.includes("**"))) {
    throw new WorkspaceGraphError(
      `package.json: workspaces pattern "${pattern}" uses "**", which the workflow generator does not follow. List each level instead, for example "packages/*".`,
    );
  }
  let dirs = [""];
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of dirs) {
      if (segment.includes("*")) {
        const escaped = segment
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
        const matcher = new RegExp(`^${escaped.join("[^/]*")}$`);
        for (const entry of subdirectories(path.join(root, dir))) {
          if (matcher.test(entry.name)) next.push(path.posix.join(dir, entry.name));
        }
      } else if (isDirectory(path.join(root, dir, segment))) {
        next.push(path.posix.join(dir, segment));
      }
    }
    dirs = next;
  }
  return dirs.filter((dir) => dir !== "" && isFile(path.join(root, dir, "package.json")));
}

/** The workspace folders of the root package.json, with `!` patterns taken out. */
function workspaceDirs(root: string, rootJson: PackageJson): string[] {
  const declared = Array.isArray(rootJson.workspaces)
    ? rootJson.workspaces
    : ((rootJson.workspaces as { packages?: unknown } | undefined)?.packages ?? []);
  if (!Array.isArray(declared) || declared.some((entry) => typeof entry !== "string")) {
    throw new WorkspaceGraphError(
      'package.json: "workspaces" must be a list of folder patterns, for example ["apps/*", "packages/*"].',
    );
  }
  const included = new Set<string>();
  const excluded = new Set<string>();
  for (const pattern of declared as string[]) {
    const target = pattern.startsWith("!") ? excluded : included;
    for (const dir of expandPattern(root, pattern.replace(/^!/, ""))) target.add(dir);
  }
  return [...included].filter((dir) => !excluded.has(dir)).sort();
}

/**
 * Reads the root package.json's workspaces and each workspace's package.json. A workspace's
 * dependencies are the other workspaces named in its `dependencies` and `devDependencies` (both
 * reach an image: turbo prune keeps them and the build uses them).
 */
export function readWorkspaceGraph(root: string): WorkspaceGraph {
  const rootJson = readPackageJson(path.join(root, "package.json"), "package.json");
  const dirs = workspaceDirs(root, rootJson);
  const read = dirs.map((dir) => {
    const shown = `${dir}/package.json`;
    const json = readPackageJson(path.join(root, dir, "package.json"), shown);
    if (typeof json.name !== "string" || json.name === "") {
      throw new WorkspaceGraphError(
        `${shown}: "name" is missing: name the workspace, for example "${INTERNAL_SCOPE}${path.posix.basename(dir)}".`,
      );
    }
    return { dir, shown, name: json.name, json };
  });
  const names = new Map<string, string>();
  for (const { name, shown } of read) {
    const other = names.get(name);
    if (other) {
      throw new WorkspaceGraphError(
        `${shown} and ${other} are both named "${name}": give each workspace its own name.`,
      );
    }
    names.set(name, shown);
  }
  const workspaces = read.map(({ dir, shown, name, json }) => {
    const declared = [
      ...Object.keys(json.dependencies ?? {}),
      ...Object.keys(json.devDependencies ?? {}),
    ];
    for (const dependency of declared) {
      if (dependency.startsWith(INTERNAL_SCOPE) && !names.has(dependency)) {
        throw new WorkspaceGraphError(
          `${shown} depends on "${dependency}", which is no workspace of this repository: remove it, or create the workspace (packages/${dependency.slice(INTERNAL_SCOPE.length)}).`,
        );
      }
    }
    const dependencies = [...new Set(declared.filter((dependency) => names.has(dependency)))];
    return { name, dir, dependencies: dependencies.filter((d) => d !== name).sort() };
  });
  return { root, workspaces };
}

export function findWorkspace(graph: WorkspaceGraph, name: string): Workspace | undefined {
  return graph.workspaces.find((workspace) => workspace.name === name);
}

/** Every workspace `name` depends on, directly or through others, sorted by folder. */
export function dependenciesOf(graph: WorkspaceGraph, name: string): Workspace[] {
  const seen = new Set<string>([name]);
  const queue = [...(findWorkspace(graph, name)?.dependencies ?? [])];
  const found: Workspace[] = [];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const workspace = findWorkspace(graph, next);
    if (!workspace) continue;
    found.push(workspace);
    queue.push(...workspace.dependencies);
  }
  return found.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

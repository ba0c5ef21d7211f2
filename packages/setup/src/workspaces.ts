import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

// The repository's layout as setup and the app generator read it: both work on a repository
// that may not pass platform-config's checks yet, so they read folders, not the loaded platform.

export function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The workspace folders (apps/* and packages/*) that have a package.json, e.g. `apps/api`. */
export function workspaceDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const group of ["apps", "packages"]) {
    const parent = path.join(root, group);
    if (!isDirectory(parent)) continue;
    for (const name of readdirSync(parent).sort()) {
      if (existsSync(path.join(parent, name, "package.json"))) dirs.push(`${group}/${name}`);
    }
  }
  return dirs;
}

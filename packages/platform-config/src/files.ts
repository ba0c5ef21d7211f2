import path from "node:path";

// File names shared by load.ts (which re-exports them) and resolve.ts; kept apart so those two
// modules do not import each other.

/** The platform config, at the repository root. */
export const PLATFORM_CONFIG_FILE = "platform.config.json";
/** An app's manifest, in `apps/<app>/`; an app folder without one is not deployable. */
export const APP_MANIFEST_FILE = "deploy.json";
/** The folder of deployable apps, at the repository root. */
export const APPS_DIR = "apps";

/** `file` as shown in messages: relative to the repository root with `/`, else absolute. */
export function displayPath(root: string, file: string): string {
  const relative = path.relative(root, file);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return file;
  return relative.split(path.sep).join("/");
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import {
  countProblems,
  mergedCounts,
  mergedPlacement,
  overlapProblem,
  overlappingNames,
  placementField,
  placementProblems,
} from "./checks.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { APP_MANIFEST_FILE, APPS_DIR, displayPath, PLATFORM_CONFIG_FILE } from "./files.js";
import { problemFromCheck, validate } from "./issues.js";
import { parseJson } from "./json.js";
import { scanPlaceholders } from "./placeholders.js";
import { environmentNames } from "./resolve.js";
import {
  type AppManifest,
  appManifestSchema,
  DNS_LABEL,
  type PlatformConfig,
  platformConfigSchema,
} from "./schema.js";

export { APP_MANIFEST_FILE, PLATFORM_CONFIG_FILE };

/** A deployable app: a folder under `apps/` with a valid `deploy.json`. */
export interface AppEntry {
  /** The folder name, which is also the app's name everywhere (images, services, placeholders). */
  name: string;
  /** Absolute path of the app's folder. */
  dir: string;
  /** Absolute path of its deploy.json. */
  file: string;
  /** `name` from the app's package.json, for turbo filters such as `--filter=@repo/api`. */
  packageName: string;
  /** `version` from the app's package.json; "0.0.0" when it has none. */
  version: string;
  manifest: AppManifest;
}

/** Everything the platform's tools read: the validated platform config and every app. */
export interface LoadedPlatform {
  /** Absolute path of the repository root (the folder with platform.config.json). */
  root: string;
  /** Absolute path of the platform config that was read. */
  configFile: string;
  platform: PlatformConfig;
  /** Sorted by name. */
  apps: AppEntry[];
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The repository root: `cwd` or its nearest parent that holds platform.config.json.
 * Throws a ConfigError when there is none, which means the command ran outside the repository.
 */
export function findRepoRoot(cwd: string): string {
  const start = path.resolve(cwd);
  let dir = start;
  for (;;) {
    if (isFile(path.join(dir, PLATFORM_CONFIG_FILE))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ConfigError([
    {
      file: PLATFORM_CONFIG_FILE,
      field: "(file)",
      value: start,
      message: "was not found in this directory or any parent directory",
      fix: `run the command inside the repository, or create ${PLATFORM_CONFIG_FILE} at the repository root with at least "project" and "domain"`,
    },
  ]);
}

type Read = { ok: true; value: unknown } | { ok: false };

/** Reads and parses a JSON file; a missing, unreadable or malformed file becomes a problem. */
function readJson(file: string, shown: string, problems: ConfigProblem[]): Read {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({
      file: shown,
      field: "(file)",
      value: file,
      message: code === "ENOENT" ? "does not exist" : `could not be read (${code ?? "error"})`,
      fix:
        code === "ENOENT"
          ? "create the file or point at an existing one"
          : "make the file readable by the current user",
    });
    return { ok: false };
  }
  const parsed = parseJson(text);
  if (parsed.ok) return parsed;
  const { line, column, message, lineText } = parsed.error;
  problems.push({
    file: shown,
    field: "(file)",
    value: lineText,
    message: `is not valid JSON: ${message} at line ${line}, column ${column}`,
    fix: `correct the JSON at line ${line}, column ${column} (JSON has no comments or trailing commas, and strings and keys use double quotes)`,
  });
  return { ok: false };
}

/** An app folder with a deploy.json, read as far as it validates. */
interface AppRead {
  name: string;
  dir: string;
  file: string;
  shown: string;
  raw: unknown;
  manifest?: AppManifest;
  packageName?: string;
  version?: string;
}

function readPackageJson(
  app: AppRead,
  root: string,
  problems: ConfigProblem[],
): { packageName?: string; version?: string } {
  const file = path.join(app.dir, "package.json");
  const shown = displayPath(root, file);
  const read = readJson(file, shown, problems);
  if (!read.ok) return {};
  // Any JSON value destructures; only an object can have these two.
  const { name, version } = (read.value ?? {}) as { name?: unknown; version?: unknown };
  let ok = true;
  if (typeof name !== "string" || name === "") {
    problems.push({
      file: shown,
      field: "name",
      value: name,
      message: "must name the app's workspace package",
      fix: `set name to the package name, for example "@repo/${app.name}"`,
    });
    ok = false;
  }
  if (version !== undefined && (typeof version !== "string" || version === "")) {
    problems.push({
      file: shown,
      field: "version",
      value: version,
      message: "must be a version string",
      fix: 'set version to a semver version such as "0.1.0", or remove it (default "0.0.0")',
    });
    ok = false;
  }
  return ok
    ? { packageName: name as string, version: (version as string | undefined) ?? "0.0.0" }
    : {};
}

function readApps(root: string, problems: ConfigProblem[]): AppRead[] {
  const appsDir = path.join(root, APPS_DIR);
  if (!isDirectory(appsDir)) return [];
  let entries: string[];
  try {
    entries = readdirSync(appsDir);
  } catch (error) {
    problems.push({
      file: `${APPS_DIR}/`,
      field: "(folder)",
      value: appsDir,
      message: `could not be listed (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      fix: "make the folder readable by the current user",
    });
    return [];
  }
  const names = entries
    .filter((name) => isFile(path.join(appsDir, name, APP_MANIFEST_FILE)))
    .sort();
  return names.map((name) => {
    const dir = path.join(appsDir, name);
    const file = path.join(dir, APP_MANIFEST_FILE);
    const shown = displayPath(root, file);
    const app: AppRead = { name, dir, file, shown, raw: undefined };
    if (!DNS_LABEL.test(name)) {
      const suggestion =
        name
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, "-")
          .replace(/^-+|-+$/g, "")
          .slice(0, 63) || "my-app";
      problems.push({
        file: shown,
        field: "(app name)",
        value: name,
        message:
          "is not a valid app name: the folder name becomes part of image, service and DNS names",
        fix: `rename the folder ${APPS_DIR}/${name} to lower-case letters, digits and hyphens, for example ${APPS_DIR}/${suggestion}`,
      });
    }
    Object.assign(app, readPackageJson(app, root, problems));
    const read = readJson(file, shown, problems);
    if (!read.ok) return app;
    app.raw = read.value;
    const result = validate(appManifestSchema, read.value, shown);
    if (result.ok) app.manifest = result.data;
    else problems.push(...result.problems);
    return app;
  });
}

function checkSubdomains(apps: AppRead[], problems: ConfigProblem[]): void {
  const owners = new Map<string, AppRead>();
  for (const app of apps) {
    if (!app.manifest) continue;
    const owner = owners.get(app.manifest.subdomain);
    if (!owner) {
      owners.set(app.manifest.subdomain, app);
      continue;
    }
    problems.push({
      file: app.shown,
      field: "subdomain",
      value: app.manifest.subdomain,
      message: `is also the subdomain of app "${owner.name}" in ${owner.shown}`,
      fix: `give the app in ${app.shown} or in ${owner.shown} another subdomain: each app needs its own`,
    });
  }
}

function checkPlaceholders(
  app: AppRead,
  environment: Record<string, string>,
  prefix: string[],
  known: string[],
  problems: ConfigProblem[],
): void {
  for (const [name, value] of Object.entries(environment)) {
    for (const placeholder of scanPlaceholders(value).placeholders) {
      if (placeholder.kind !== "app-url" || known.includes(placeholder.app)) continue;
      const choices = known.map((other) => `\${apps.${other}.url}`).join(", ");
      problems.push({
        file: app.shown,
        field: [...prefix, name].join("."),
        value,
        message: `refers to the unknown app "${placeholder.app}" in ${placeholder.raw}`,
        fix: `use one of ${choices || "(no apps yet)"}; to add app "${placeholder.app}" create ${APPS_DIR}/${placeholder.app}/${APP_MANIFEST_FILE}`,
      });
    }
  }
}

/** Checks each environment override against the platform, then the result of merging it. */
function checkOverrides(
  app: AppRead,
  manifest: AppManifest,
  platform: PlatformConfig | undefined,
  configShown: string,
  problems: ConfigProblem[],
): void {
  const names = platform ? environmentNames(platform) : undefined;
  for (const [envName, override] of Object.entries(manifest.environments)) {
    const prefix = ["environments", envName];
    if (names && !names.includes(envName)) {
      problems.push({
        file: app.shown,
        field: prefix.join("."),
        value: envName,
        message: `is not an environment of ${configShown}`,
        fix: `use one of ${names.join(", ")}, or declare "${envName}" under "environments" in ${configShown}`,
      });
    }
    // The base counts passed the schema, so only counts an override changes can be out of order.
    for (const check of countProblems(mergedCounts(manifest, override), prefix)) {
      problems.push(problemFromCheck(check, app.raw, app.shown));
    }
    // The base placement passed the schema; only a changed capacity or architecture can clash.
    if (override.capacity !== undefined || override.architecture !== undefined) {
      const placement = mergedPlacement(manifest, override);
      for (const check of placementProblems(placement, prefix, placementField(override))) {
        problems.push(problemFromCheck(check, app.raw, app.shown));
      }
    }
    const environment = { ...manifest.environment, ...override.environment };
    const secrets = { ...manifest.secrets, ...override.secrets };
    for (const name of overlappingNames(environment, secrets)) {
      const where =
        override.secrets && Object.hasOwn(override.secrets, name) ? "secrets" : "environment";
      problems.push(
        problemFromCheck(overlapProblem(name, [...prefix, where, name]), app.raw, app.shown),
      );
    }
  }
}

/**
 * Reads the platform config and every app manifest, validates them together and returns them
 * typed. All problems across all files are collected and thrown as one ConfigError, so a user
 * sees everything wrong at once.
 *
 * @param options.cwd where to start looking for the repository root; default `process.cwd()`
 * @param options.configFile another platform config to read instead of the root one (relative
 *   to `cwd`); the repository root, and so the apps, are still found from `cwd`
 */
export function loadPlatform(options: { cwd?: string; configFile?: string } = {}): LoadedPlatform {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const root = findRepoRoot(cwd);
  const configFile = options.configFile
    ? path.resolve(cwd, options.configFile)
    : path.join(root, PLATFORM_CONFIG_FILE);
  const configShown = displayPath(root, configFile);
  const problems: ConfigProblem[] = [];

  let platform: PlatformConfig | undefined;
  const read = readJson(configFile, configShown, problems);
  if (read.ok) {
    const result = validate(platformConfigSchema, read.value, configShown);
    if (result.ok) platform = result.data;
    else problems.push(...result.problems);
  }

  const apps = readApps(root, problems);
  const known = apps.map((app) => app.name);
  checkSubdomains(apps, problems);
  for (const app of apps) {
    const { manifest } = app;
    if (!manifest) continue;
    checkPlaceholders(app, manifest.environment, ["environment"], known, problems);
    for (const [envName, override] of Object.entries(manifest.environments)) {
      const prefix = ["environments", envName, "environment"];
      checkPlaceholders(app, override.environment ?? {}, prefix, known, problems);
    }
    checkOverrides(app, manifest, platform, configShown, problems);
  }

  if (problems.length > 0 || !platform) throw new ConfigError(problems);
  const entries = apps.map(({ name, dir, file, packageName, version, manifest }) => {
    // Without problems every app has all of these; the check keeps the types honest.
    if (!manifest || packageName === undefined || version === undefined) {
      throw new Error(`internal: app ${name} was not fully read`);
    }
    return { name, dir, file, packageName, version, manifest };
  });
  return { root, configFile, platform, apps: entries };
}

/**
 * The app called `name`. Throws a ConfigError listing the deployable apps and how to make
 * `name` one when there is no such app.
 */
export function findApp(loaded: LoadedPlatform, name: string): AppEntry {
  const app = loaded.apps.find((entry) => entry.name === name);
  if (app) return app;
  const file = `${APPS_DIR}/${name}/${APP_MANIFEST_FILE}`;
  const folderExists = isDirectory(path.join(loaded.root, APPS_DIR, name));
  const known = loaded.apps.map((entry) => entry.name);
  throw new ConfigError([
    {
      file,
      field: "(file)",
      value: name,
      message: `unknown app "${name}": ${folderExists ? `${APPS_DIR}/${name} has no ${APP_MANIFEST_FILE}, so it is not deployable` : `there is no ${APPS_DIR}/${name}`}`,
      fix: `use one of ${known.join(", ") || "(no apps yet)"}, or make "${name}" deployable by creating ${file}`,
    },
  ]);
}

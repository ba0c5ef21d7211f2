import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DNS_LABEL } from "@repo/platform-config/schema";
import { isDirectory, workspaceDirs } from "./workspaces.js";

// What `npx turbo gen app` (turbo/generators/config.ts) checks and runs, here so that it is typed
// and tested like the rest of the repository; the generator file only wires it to @turbo/gen.

/** The kinds of app the generator writes, each from turbo/generators/templates/<kind>/. */
export const APP_KINDS = {
  service: "Express service (JSON API: /healthz, /readyz, /v1)",
  web: "static web app (Vite + React, served by a small Node server)",
} as const;
export type AppKind = keyof typeof APP_KINDS;

export interface NewApp {
  name: string;
  kind: AppKind;
  subdomain: string;
  /** The port the container listens on (deploy.json, the Dockerfile). */
  port: number;
  /** The port of `npm run dev` (a service's .env.development); default 8081 or the next free. */
  devPort?: number;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** Every workspace's package name, so a new app's `@repo/<name>` never takes one. */
function workspacePackages(root: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const dir of workspaceDirs(root)) {
    const pkg = readJson(path.join(root, dir, "package.json")) as { name?: unknown } | undefined;
    if (typeof pkg?.name === "string") names.set(pkg.name, dir);
  }
  return names;
}

/** The subdomain of every app with a deploy.json, by app. */
export function subdomains(root: string): Map<string, string> {
  const owners = new Map<string, string>();
  const appsDir = path.join(root, "apps");
  if (!isDirectory(appsDir)) return owners;
  for (const app of readdirSync(appsDir).sort()) {
    const manifest = readJson(path.join(appsDir, app, "deploy.json")) as
      | { subdomain?: unknown }
      | undefined;
    if (typeof manifest?.subdomain === "string") owners.set(manifest.subdomain, app);
  }
  return owners;
}

/** `true`, or what is wrong with `name` as a new app's name and what to do instead. */
export function checkAppName(root: string, name: string): true | string {
  const value = name.trim();
  if (!DNS_LABEL.test(value)) {
    return `name = ${JSON.stringify(value)}: is not a valid app name: it becomes part of image, service and DNS names. Fix: use 1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, for example "billing"`;
  }
  if (existsSync(path.join(root, "apps", value))) {
    return `name = "${value}": apps/${value} already exists. Fix: choose another name, or remove apps/${value} first (README, Remove an app)`;
  }
  const taken = workspacePackages(root).get(`@repo/${value}`);
  if (taken) {
    return `name = "${value}": the package name @repo/${value} is taken by ${taken}. Fix: choose another name`;
  }
  return true;
}

/** `true`, or what is wrong with `subdomain` for a new app. */
export function checkSubdomain(root: string, subdomain: string): true | string {
  const value = subdomain.trim();
  if (!DNS_LABEL.test(value)) {
    return `subdomain = ${JSON.stringify(value)}: is not a DNS label. Fix: use 1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, for example "billing"`;
  }
  const owner = subdomains(root).get(value);
  if (owner) {
    return `subdomain = "${value}": is already the subdomain of app "${owner}" (apps/${owner}/deploy.json). Fix: choose another one: each app needs its own`;
  }
  return true;
}

/** `true`, or what is wrong with `port` as the port the container listens on. */
export function checkPort(port: string | number): true | string {
  const value = Number(String(port).trim());
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    return `port = ${JSON.stringify(String(port))}: is not a TCP port. Fix: use a whole number between 1 and 65535, for example 8080`;
  }
  return true;
}

/**
 * The port `npm run dev` gives a new service: `npm run dev` runs every app at once, so it must
 * not be one another app's dev server listens on (the samples' api: 8080, the default).
 */
export function devPort(root: string): number {
  const taken = new Set([8080]);
  const appsDir = path.join(root, "apps");
  for (const app of isDirectory(appsDir) ? readdirSync(appsDir) : []) {
    const file = path.join(appsDir, app, ".env.development");
    if (!existsSync(file)) continue;
    const port = /^PORT=(\d+)\s*$/m.exec(readFileSync(file, "utf8"))?.[1];
    if (port) taken.add(Number(port));
  }
  let port = 8081;
  while (taken.has(port)) port += 1;
  return port;
}

/** `true`, or what is wrong with `kind`. */
export function checkKind(kind: string): true | string {
  if (Object.hasOwn(APP_KINDS, kind)) return true;
  return `kind = ${JSON.stringify(kind)}: is not a kind of app the generator knows. Fix: use one of ${Object.keys(APP_KINDS).join(", ")}`;
}

/** Checks all answers at once (for `--args`, where no prompt re-asks); throws with every problem. */
export function validateNewApp(
  root: string,
  answers: { name: string; kind: string; subdomain?: string; port?: string | number },
): NewApp {
  const name = answers.name.trim();
  const subdomain = (answers.subdomain ?? "").trim() || name;
  const port = answers.port === undefined || answers.port === "" ? 8080 : Number(answers.port);
  const problems = [
    checkAppName(root, name),
    checkKind(answers.kind),
    checkSubdomain(root, subdomain),
    checkPort(port),
  ].filter((result): result is string => result !== true);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return { name, kind: answers.kind as AppKind, subdomain, port, devPort: devPort(root) };
}

/**
 * Adds `/apps/<name>` to the Docker folders Dependabot watches in .github/dependabot.yml (next
 * to the other apps', in order), so the new image's base gets updates like the others'. Returns
 * whether the file changed; a file without such a list is left alone.
 */
export function addDependabotDirectory(root: string, name: string): boolean {
  const file = path.join(root, ".github", "dependabot.yml");
  if (!existsSync(file)) return false;
  const lines = readFileSync(file, "utf8").split("\n");
  const entry = /^(\s*)- \/apps\/([^/\s]+)\s*$/;
  const apps = lines
    .map((line, index) => ({ index, match: entry.exec(line) }))
    .filter((item): item is { index: number; match: RegExpExecArray } => item.match !== null);
  const first = apps[0];
  if (!first || apps.some((item) => item.match[2] === name)) return false;
  const after = apps.filter((item) => (item.match[2] ?? "") < name).at(-1);
  const at = after ? after.index + 1 : first.index;
  lines.splice(at, 0, `${first.match[1]}- /apps/${name}`);
  writeFileSync(file, lines.join("\n"));
  return true;
}

export type Runner = (command: string, args: string[], cwd: string) => { status: number | null };

const inherit: Runner = (command, args, cwd) =>
  spawnSync(command, args, { cwd, stdio: "inherit", env: process.env });

/**
 * What follows the new files: `npm install` links the workspace (and records it in the lockfile,
 * which the image build's `npm ci` needs), `npm run workflows` writes its deploy workflow. Returns
 * the lines to print; throws with the command to run by hand when one fails.
 */
export function afterGenerate(root: string, app: NewApp, run: Runner = inherit): string[] {
  const done: string[] = [];
  const install = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], root);
  if (install.status !== 0) {
    throw new Error(
      `npm install failed (its output is above): apps/${app.name} is written but not linked. Fix the cause, then run \`npm install\` and \`npm run workflows\`.`,
    );
  }
  done.push("npm install: linked the workspace and recorded it in package-lock.json");
  if (addDependabotDirectory(root, app.name)) {
    done.push(`.github/dependabot.yml: watches the base images of apps/${app.name}/Dockerfile`);
  }
  const scripts =
    (readJson(path.join(root, "package.json")) as { scripts?: Record<string, string> })?.scripts ??
    {};
  if (scripts.workflows) {
    const workflows = run("npm", ["run", "workflows", "--silent"], root);
    if (workflows.status !== 0) {
      throw new Error(
        `npm run workflows failed (its output is above): apps/${app.name} has no deploy workflow yet. Fix the cause, then run \`npm run workflows\`.`,
      );
    }
    done.push(`npm run workflows: .github/workflows/deploy-${app.name}.yml`);
  }
  return done;
}

/** What to do next, as printed at the end of the generator. */
export function nextSteps(app: NewApp, edgePort = 8080): string {
  const port = edgePort === 80 ? "" : `:${edgePort}`;
  const dev = app.kind === "web" ? 5173 : (app.devPort ?? app.port);
  const steps: [string, string][] = [
    [`npx turbo run test --filter=@repo/${app.name}`, "its tests"],
    [`npm run dev -- --filter=@repo/${app.name}`, `with reload, at http://localhost:${dev}`],
    ["npm run up", `every app locally, this one at http://${app.subdomain}.localhost${port}`],
    ["git add -A && git commit", "its deploy workflow runs on the next push to main"],
  ];
  const width = Math.max(...steps.map(([command]) => command.length));
  return [
    `apps/${app.name} (@repo/${app.name}) is ready. Next:`,
    ...steps.map(([command, what]) => `  ${command.padEnd(width)}  # ${what}`),
    'README, "Add an app", says what each file is for.',
  ].join("\n");
}

/** The local edge port of the platform config (default 8080), for the printed URL. */
export function localEdgePort(root: string): number {
  const config = readJson(path.join(root, "platform.config.json")) as
    | { environments?: { local?: { edgePort?: number } } }
    | undefined;
  return config?.environments?.local?.edgePort ?? 8080;
}

import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository these helpers live in. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface RepoCopyOptions {
  /** The local edge router's port in the copy's platform.config.json (use a free one). */
  edgePort?: number;
  /** More settings of `environments.local`, such as `registry`. */
  local?: Record<string, unknown>;
  /** The copy's project name. @default a random `e2e<hex>`, so its containers meet no one's */
  project?: string;
  /**
   * How the installed packages come along. `symlink` (default): the copy's node_modules is the
   * repository's, which suits tests that only read it. `hardlink`: a tree of its own (files
   * hard-linked, so it takes a second) that `npm install` in the copy may change without touching
   * the repository's, and whose workspace links point into the copy.
   */
  nodeModules?: "symlink" | "hardlink";
  /** Seed the copy's turbo cache from the repository's, so unchanged tasks replay. @default false */
  turboCache?: boolean;
}

/** Folders of caches that tools rewrite in place: never shared with the repository. */
const SKIPPED = new Set([".vite", ".vite-temp", ".cache"]);
/** npm rewrites this file in place on every install: copied, never linked. */
const COPIED = new Set([".package-lock.json"]);

/** Recreates `from` at `to`: folders made, symlinks remade as they are, files hard-linked. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (entry.isDirectory()) linkTree(source, target);
    else if (COPIED.has(entry.name)) copyFileSync(source, target);
    else {
      try {
        linkSync(source, target);
      } catch {
        // Another file system, or one without hard links: a copy does the same job, slower.
        copyFileSync(source, target);
      }
    }
  }
}

/**
 * The environment for commands run in a copy: without what npm, turbo and vitest set for the
 * process running the tests (npm_config_local_prefix would point npm at this repository, and
 * TURBO_* at its turbo run).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith("npm_") || key === "INIT_CWD") continue;
    if (key.startsWith("TURBO_") && key !== "TURBO_TELEMETRY_DISABLED") continue;
    if (key.startsWith("VITEST") || key === "TEST" || key === "NODE_ENV") continue;
    env[key] = value;
  }
  // npm run puts this repository's node_modules/.bin first on PATH: the copy's own must win.
  const PATH = (env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => !dir.startsWith(repoRoot) && !dir.startsWith(path.resolve(repoRoot)))
    .join(path.delimiter);
  return {
    ...env,
    PATH,
    TURBO_TELEMETRY_DISABLED: "1",
    DO_NOT_TRACK: "1",
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    NPM_CONFIG_FUND: "false",
    NPM_CONFIG_AUDIT: "false",
    CDK_DISABLE_CLI_TELEMETRY: "true",
    ...extra,
  };
}

export interface CommandResult {
  code: number;
  output: string;
  seconds: number;
}

/**
 * A throwaway git repository made from this one (tracked and untracked files, the installed
 * node_modules linked in), with its own project name and edge port: what a team's repository
 * is, where a test can commit changes and deploy them without touching the real working tree or
 * a developer's running local platform.
 */
export class RepoCopy {
  readonly dir: string;
  readonly project: string;

  private constructor(dir: string, project: string) {
    this.dir = dir;
    this.project = project;
  }

  static create(opts: RepoCopyOptions = {}): RepoCopy {
    const dir = mkdtempSync(path.join(tmpdir(), "platform-copy-"));
    const files = execFileSync(
      "git",
      ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    )
      .split("\0")
      .filter(Boolean);
    for (const file of files) {
      const source = path.join(repoRoot, file);
      // A tracked file deleted in the working tree is not part of what is being tested.
      if (!existsSync(source)) continue;
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      cpSync(source, path.join(dir, file), { verbatimSymlinks: true });
    }
    if ((opts.nodeModules ?? "symlink") === "symlink") {
      symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    } else {
      linkTree(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
      for (const group of ["apps", "packages"]) {
        const parent = path.join(repoRoot, group);
        if (!existsSync(parent)) continue;
        for (const name of readdirSync(parent)) {
          const nested = path.join(parent, name, "node_modules");
          if (existsSync(nested) && existsSync(path.join(dir, group, name))) {
            linkTree(nested, path.join(dir, group, name, "node_modules"));
          }
        }
      }
    }
    if (opts.turboCache && existsSync(path.join(repoRoot, ".turbo", "cache"))) {
      linkTree(path.join(repoRoot, ".turbo", "cache"), path.join(dir, ".turbo", "cache"));
    }
    const project = opts.project ?? `e2e${randomBytes(3).toString("hex")}`;
    const copy = new RepoCopy(dir, project);
    copy.editJson("platform.config.json", (config) => {
      config.project = project;
      if (opts.edgePort !== undefined || opts.local) {
        config.environments.local = {
          ...config.environments.local,
          ...(opts.edgePort === undefined ? {} : { edgePort: opts.edgePort }),
          ...opts.local,
        };
      }
    });
    copy.git("init", "-q", "-b", "main");
    copy.commit("the template");
    return copy;
  }

  git(...args: string[]): string {
    return execFileSync(
      "git",
      ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", ...args],
      { cwd: this.dir, encoding: "utf8" },
    ).trim();
  }

  commit(message: string): string {
    this.git("add", "-A");
    this.git("commit", "-q", "--allow-empty", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  /**
   * Runs `command` in the copy (or in `cwd` under it) with a clean environment, output captured;
   * resolves with the exit code, never rejects for a failing command.
   */
  run(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
  ): Promise<CommandResult> {
    const begin = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: path.join(this.dir, options.cwd ?? ""),
        env: cleanEnv(options.env),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr.on("data", (chunk) => {
        output += chunk;
      });
      const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 600_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, output, seconds: (performance.now() - begin) / 1000 });
      });
    });
  }

  read(file: string): string {
    return readFileSync(path.join(this.dir, file), "utf8");
  }

  exists(file: string): boolean {
    return existsSync(path.join(this.dir, file));
  }

  // biome-ignore lint/suspicious/noExplicitAny: a test edits JSON files of any shape
  editJson(file: string, edit: (value: any) => void): void {
    const full = path.join(this.dir, file);
    const value = JSON.parse(readFileSync(full, "utf8"));
    edit(value);
    writeFileSync(full, `${JSON.stringify(value, null, 2)}\n`);
  }

  append(file: string, text: string): void {
    const full = path.join(this.dir, file);
    writeFileSync(full, readFileSync(full, "utf8") + text);
  }

  prepend(file: string, text: string): void {
    const full = path.join(this.dir, file);
    writeFileSync(full, text + readFileSync(full, "utf8"));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

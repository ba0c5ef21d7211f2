import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/**
 * Whether a tool the tests need is here. Missing on a developer's machine: a loud banner and the
 * tests skip. Missing in CI (`CI` set): an error, because CI installs every tool and a silent skip
 * there would hide a broken setup.
 */
export function toolGate(tool: string, missing: string | undefined, fix: string): boolean {
  if (!missing) return true;
  if (process.env.CI) throw new Error(`${tool} is required in CI but ${missing}. ${fix}`);
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPING the ${tool} tests: ${missing}.\n!! ${fix}\n${bar}\n`);
  return false;
}

export function dockerMissing(): string | undefined {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
      stdio: "pipe",
      timeout: 15_000,
    });
    return undefined;
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") return "the docker command is not installed";
    return `no Docker engine answers (${e.stderr?.toString().trim().split("\n")[0] ?? "docker info failed"})`;
  }
}

export const DOCKER_FIX =
  "Start a Docker engine with BuildKit (Docker Desktop, or dockerd); in CI, .ci/run starts one.";

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

export function chromiumMissing(): string | undefined {
  try {
    accessSync(chromiumPath(), constants.X_OK);
    return undefined;
  } catch {
    return `${chromiumPath()} is not there (set CHROMIUM_PATH to use another Chromium)`;
  }
}

export const CHROMIUM_FIX = "Install it: `apt-get install -y chromium`.";

/** Flags that let Chromium run headless as root on a machine with no outside network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

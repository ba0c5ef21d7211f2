import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
// deploy-kit's own rule, so the tests build exactly as `deploy-kit build` does.
import { baseImageArgs } from "../../deploy-kit/src/docker/base-images.js";

const exec = promisify(execFile);

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Every container these helpers start carries this label, so leftovers can always be found. */
export const TEST_LABEL = "com.example.platform.test=e2e";

export async function docker(args: string[], timeoutMs = 600_000): Promise<string> {
  const { stdout } = await exec("docker", args, {
    cwd: repoRoot,
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
  });
  return stdout.trim();
}

export interface BuiltImage {
  tag: string;
  id: string;
  seconds: number;
  /** BuildKit's plain progress output: which steps ran and which were CACHED. */
  log: string;
}

/**
 * `docker build -f apps/<app>/Dockerfile .` from the repository root, as CI and deploy-kit do,
 * with the base-image override deploy-kit passes (BASE_IMAGE_PINS=off here: the offline engine's
 * base images answer to the public tags, not to the pinned digests).
 */
export async function buildImage(
  app: string,
  tag: string,
  buildArgs: Record<string, string> = {},
): Promise<BuiltImage> {
  const args = [
    "build",
    "--pull=false",
    "--progress=plain",
    "-f",
    `apps/${app}/Dockerfile`,
    "-t",
    tag,
  ];
  const dockerfile = readFileSync(new URL(`apps/${app}/Dockerfile`, `file://${repoRoot}`), "utf8");
  const all = { ...baseImageArgs(dockerfile, process.env), ...buildArgs };
  for (const [key, value] of Object.entries(all)) args.push("--build-arg", `${key}=${value}`);
  const started = performance.now();
  const { stderr } = await exec("docker", [...args, "."], {
    cwd: repoRoot,
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const id = await docker(["image", "inspect", "-f", "{{.Id}}", tag]);
  return { tag, id, seconds, log: stderr };
}

export interface RunOptions {
  image: string;
  env?: Record<string, string>;
  /** Host port on 127.0.0.1. @default one Docker picks */
  hostPort?: number;
  containerPort?: number;
  /**
   * A tmpfs at /tmp, as deploy-kit runs containers locally. Without it /tmp is what ECS mounts:
   * the image's declared volume (Docker makes it an anonymous volume, removed with the container).
   * @default true
   */
  tmpfs?: boolean;
}

export interface Container {
  id: string;
  port: number;
  url: string;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

const started = new Set<string>();

/**
 * Runs a container the way the platform does: read-only root, no capabilities, no privilege
 * escalation, published on 127.0.0.1 only.
 */
export async function runContainer(options: RunOptions): Promise<Container> {
  const containerPort = options.containerPort ?? 8080;
  const args = ["run", "-d", "--label", TEST_LABEL, "--read-only"];
  if (options.tmpfs ?? true) args.push("--tmpfs", "/tmp");
  args.push("--cap-drop", "ALL", "--security-opt", "no-new-privileges");
  args.push("-p", `127.0.0.1:${options.hostPort ?? ""}:${containerPort}`);
  for (const [key, value] of Object.entries(options.env ?? {})) args.push("-e", `${key}=${value}`);
  const id = await docker([...args, options.image]);
  started.add(id);
  // A container that exits at once (a bad environment, on purpose) has no published port left.
  const mapping = await docker(["port", id, `${containerPort}/tcp`]).catch(() => "");
  const port = Number(mapping.split("\n")[0]?.split(":").pop());
  return {
    id,
    port,
    url: `http://127.0.0.1:${port}`,
    logs: async () => {
      const { stdout, stderr } = await exec("docker", ["logs", id], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout + stderr;
    },
    remove: async () => {
      started.delete(id);
      // -v: with its anonymous volumes (an image's declared VOLUME without a tmpfs over it).
      await docker(["rm", "-f", "-v", id]).catch(() => undefined);
    },
  };
}

/** Removes every container these helpers started in this process (call it in afterAll). */
export async function removeAllContainers(): Promise<void> {
  const ids = [...started];
  started.clear();
  if (ids.length) await docker(["rm", "-f", "-v", ...ids]).catch(() => undefined);
}

export interface OneShot {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `docker run --rm` of `image` with `args` after it (for the images here: node's arguments, since
 * their entrypoint is node), locked down as `runContainer` does; `runArgs` go before the image.
 * Resolves with the exit code and output, whatever the exit code.
 */
export async function runOnce(image: string, runArgs: string[], args: string[]): Promise<OneShot> {
  const all = ["run", "--rm", "--label", TEST_LABEL, "--cap-drop", "ALL"];
  all.push("--security-opt", "no-new-privileges", "--network", "none", ...runArgs, image, ...args);
  try {
    const { stdout, stderr } = await exec("docker", all, { cwd: repoRoot, timeout: 60_000 });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (err) {
    const failed = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw err;
    return {
      code: failed.code,
      stdout: failed.stdout?.trim() ?? "",
      stderr: failed.stderr?.trim() ?? "",
    };
  }
}

/** Polls `url` until it answers `status`; returns the milliseconds it took. */
export async function waitForHttp(url: string, timeoutMs = 15_000, status = 200): Promise<number> {
  const begin = performance.now();
  let last = "no answer";
  while (performance.now() - begin < timeoutMs) {
    // A timer of our own, not AbortSignal.timeout(): that one is unref'd, and a script with
    // nothing else pending would exit while the request hangs on a half-started container.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1_000);
    try {
      const res = await fetch(url, { signal: controller.signal });
      await res.arrayBuffer();
      if (res.status === status) return performance.now() - begin;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** The digest the registry gives `repository:tag` (its Docker-Content-Digest), as `docker pull` would get it. */
export async function registryDigest(
  registry: string,
  repository: string,
  tag: string,
): Promise<string | null> {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      accept:
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    },
  });
  return res.headers.get("docker-content-digest");
}

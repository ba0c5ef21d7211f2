import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeployError } from "../errors.js";

export interface ImageInfo {
  id: string;
  size: number;
  created: string;
  labels: Record<string, string>;
  repoTags: string[];
  repoDigests: string[];
  /** The CPU architecture the image runs on, in Docker's words: "amd64", "arm64". */
  architecture?: string;
  /** The operating system the image runs on: "linux". */
  os?: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  labels: Record<string, string>;
  /** How often Docker restarted it under its restart policy. */
  restartCount: number;
  state: {
    status: string;
    running: boolean;
    exitCode: number;
    oomKilled: boolean;
    error: string;
    startedAt: string;
    finishedAt: string;
    health?: string;
  };
  /** Published ports: "9901/tcp" -> "127.0.0.1:49153". */
  ports: Record<string, string>;
  /**
   * The container's environment (Config.Env). It may hold secrets: read single values from it,
   * never print or serialize it whole.
   */
  env: Record<string, string>;
}

export interface RunSpec {
  name: string;
  image: string;
  network?: string;
  labels?: Record<string, string>;
  /** Written to a private temporary file and given with --env-file, so values never appear in `ps`. */
  env?: Record<string, string>;
  publish?: string[];
  memoryMiB?: number;
  cpuShares?: number;
  restart?: "no" | "unless-stopped";
}

export interface BuildSpec {
  context: string;
  dockerfile: string;
  tags: string[];
  /**
   * The platform to build for, such as "linux/amd64" (`docker build --platform`); undefined
   * builds for the engine's own platform.
   */
  platform?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  onLine?: (line: string) => void;
}

/** The `docker` arguments of a build: `docker buildx build --load` when buildx is there. */
export function buildArguments(spec: BuildSpec, buildx: boolean): string[] {
  const args = buildx ? ["buildx", "build", "--load"] : ["build"];
  args.push("--progress=plain", "-f", spec.dockerfile);
  // An image runs only on the CPU it was built for. BuildKit builds another platform's image
  // under emulation (QEMU, or Rosetta in Docker Desktop) when the engine has it, and fails
  // early with "exec format error" in a RUN step when it does not.
  if (spec.platform) args.push("--platform", spec.platform);
  for (const tag of spec.tags) args.push("-t", tag);
  for (const [key, value] of Object.entries(spec.buildArgs ?? {}))
    args.push("--build-arg", `${key}=${value}`);
  for (const [key, value] of Object.entries(spec.labels ?? {}))
    args.push("--label", `${key}=${value}`);
  args.push(spec.context);
  return args;
}

/** The part of the Docker engine deploy-kit uses; tests give a real one or a fake. */
export interface Docker {
  ping(): Promise<string>;
  build(spec: BuildSpec): Promise<void>;
  imageInspect(ref: string): Promise<ImageInfo | undefined>;
  imagesWithLabel(label: string): Promise<ImageInfo[]>;
  tag(source: string, target: string): Promise<void>;
  push(
    ref: string,
    onLine?: (line: string) => void,
    configDir?: string,
  ): Promise<{ digest: string }>;
  /** `docker save`: the images (with their tags) into one tar archive at `file`. */
  save(refs: string[], file: string): Promise<void>;
  /** `docker load`: the images of the archive at `file`; returns what it loaded (tags, else ids). */
  load(file: string): Promise<string[]>;
  /** `docker login` into `configDir` (a private, temporary DOCKER_CONFIG), password on stdin. */
  login(registry: string, username: string, password: string, configDir: string): Promise<void>;
  networkEnsure(name: string, labels: Record<string, string>): Promise<void>;
  networkRemove(name: string): Promise<boolean>;
  networksWithLabels(labels: string[]): Promise<string[]>;
  run(spec: RunSpec): Promise<string>;
  inspect(idOrName: string): Promise<ContainerInfo | undefined>;
  containersWithLabels(labels: string[], all?: boolean): Promise<ContainerInfo[]>;
  setRestartPolicy(id: string, policy: "no" | "unless-stopped"): Promise<void>;
  stop(id: string, timeoutSeconds: number): Promise<void>;
  remove(ids: string[]): Promise<void>;
  logs(id: string, tail: number): Promise<string[]>;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The Docker engine through the `docker` command, honouring DOCKER_HOST and contexts. */
export class DockerCli implements Docker {
  #buildx: Promise<boolean> | undefined;

  constructor(
    private readonly env: Record<string, string | undefined> = process.env,
    private readonly command = "docker",
  ) {}

  private exec(
    args: string[],
    options: { onLine?: (line: string) => void; env?: Record<string, string>; input?: string } = {},
  ): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.command, args, {
        env: { ...this.env, ...options.env },
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
      let stdout = "";
      let stderr = "";
      let partial = "";
      const lines = (chunk: string) => {
        if (!options.onLine) return;
        partial += chunk;
        const parts = partial.split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts) options.onLine(line);
      };
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        lines(chunk);
      });
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        lines(chunk);
      });
      child.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") {
          reject(
            new DeployError("Docker is not installed: the `docker` command was not found.", {
              hint: "Install Docker (Docker Desktop, or the docker.io package) and run the command again.",
            }),
          );
        } else reject(err);
      });
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  private async ok(args: string[], what: string): Promise<string> {
    const result = await this.exec(args);
    if (result.code !== 0) {
      throw new DeployError(
        `${what} failed: ${firstLine(result.stderr) || `docker ${args[0]} exited ${result.code}`}`,
      );
    }
    return result.stdout.trim();
  }

  async ping(): Promise<string> {
    const result = await this.exec(["version", "--format", "{{.Server.Version}}"]);
    if (result.code !== 0 || !result.stdout.trim()) {
      throw new DeployError(
        `Docker is not running: ${firstLine(result.stderr) || "the engine did not answer"}.`,
        {
          hint: "Start Docker (Docker Desktop, or `sudo systemctl start docker`) and run the command again.",
        },
      );
    }
    return result.stdout.trim();
  }

  private hasBuildx(): Promise<boolean> {
    this.#buildx ??= this.exec(["buildx", "version"]).then((result) => result.code === 0);
    return this.#buildx;
  }

  async build(spec: BuildSpec): Promise<void> {
    const args = buildArguments(spec, await this.hasBuildx());
    const tail: string[] = [];
    const result = await this.exec(args, {
      env: { DOCKER_BUILDKIT: "1" },
      onLine: (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        spec.onLine?.(line);
      },
    });
    if (result.code !== 0) {
      const platform = spec.platform ? ` --platform ${spec.platform}` : "";
      throw new DeployError(`docker build of ${spec.tags[0]} failed (exit ${result.code}).`, {
        details: tail.filter((line) => line.trim()),
        hint: `Fix the error above; reproduce it with \`docker build${platform} -f ${spec.dockerfile} .\` from the repository root.`,
      });
    }
  }

  async imageInspect(ref: string): Promise<ImageInfo | undefined> {
    const result = await this.exec(["image", "inspect", ref, "--format", "{{json .}}"]);
    if (result.code !== 0) return undefined;
    return toImage(JSON.parse(result.stdout));
  }

  async imagesWithLabel(label: string): Promise<ImageInfo[]> {
    const ids = (
      await this.ok(["images", "-q", "--no-trunc", "--filter", `label=${label}`], "Listing images")
    )
      .split("\n")
      .filter(Boolean);
    if (!ids.length) return [];
    const out = await this.ok(["image", "inspect", ...new Set(ids)], "Inspecting images");
    return (JSON.parse(out) as unknown[]).map(toImage);
  }

  async tag(source: string, target: string): Promise<void> {
    await this.ok(["tag", source, target], `Tagging ${source} as ${target}`);
  }

  async push(
    ref: string,
    onLine?: (line: string) => void,
    configDir?: string,
  ): Promise<{ digest: string }> {
    const result = await this.exec(["push", ref], {
      ...(onLine ? { onLine } : {}),
      ...(configDir ? { env: { DOCKER_CONFIG: configDir } } : {}),
    });
    if (result.code !== 0) {
      throw new DeployError(
        `Pushing ${ref} failed: ${firstLine(result.stderr) || `exit ${result.code}`}`,
        {
          hint: "Check that the registry runs and that you are logged in to it (`docker login <registry>`).",
        },
      );
    }
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(result.stdout)?.[1];
    if (!digest) throw new DeployError(`Pushed ${ref}, but docker printed no digest.`);
    return { digest };
  }

  async save(refs: string[], file: string): Promise<void> {
    const result = await this.exec(["save", "-o", file, ...refs]);
    if (result.code !== 0) {
      throw new DeployError(
        `Saving ${refs.join(", ")} to ${file} failed: ${firstLine(result.stderr) || `exit ${result.code}`}`,
        { hint: "Check that the folder exists and has room for the image." },
      );
    }
  }

  async load(file: string): Promise<string[]> {
    const result = await this.exec(["load", "-i", file]);
    if (result.code !== 0) {
      throw new DeployError(
        `Loading the image archive ${file} failed: ${firstLine(result.stderr) || `exit ${result.code}`}`,
        {
          hint: "Is it a `docker save` archive (`deploy-kit build <app> --archive <file>` makes one)?",
        },
      );
    }
    // "Loaded image: <name>:<tag>" per tagged image, "Loaded image ID: sha256:..." per untagged one.
    return [...result.stdout.matchAll(/^Loaded image(?: ID)?: (\S+)\s*$/gm)].map(
      (match) => match[1] as string,
    );
  }

  async login(
    registry: string,
    username: string,
    password: string,
    configDir: string,
  ): Promise<void> {
    const result = await this.exec(
      ["login", "--username", username, "--password-stdin", registry],
      {
        input: password,
        env: { DOCKER_CONFIG: configDir },
      },
    );
    if (result.code !== 0) {
      throw new DeployError(`Logging in to ${registry} failed: ${firstLine(result.stderr)}`);
    }
  }

  async networkEnsure(name: string, labels: Record<string, string>): Promise<void> {
    const ids = async () =>
      (
        await this.ok(
          ["network", "ls", "--filter", `name=^${name}$`, "--format", "{{.ID}}"],
          "Listing networks",
        )
      )
        .split("\n")
        .filter(Boolean)
        .sort();
    let found = await ids();
    if (found.length === 0) {
      const args = ["network", "create", "--driver", "bridge"];
      for (const [key, value] of Object.entries(labels)) args.push("--label", `${key}=${value}`);
      const result = await this.exec([...args, name]);
      if (result.code !== 0 && !/already exists/.test(result.stderr)) {
        throw new DeployError(
          `Creating the Docker network ${name} failed: ${firstLine(result.stderr)}`,
        );
      }
      found = await ids();
    }
    // Two deploys in parallel (turbo runs one per app) may both create it, and Docker then holds
    // two networks of that name, which no command can name ("ambiguous"): every deploy keeps the
    // same one, the lowest id, and removes the others (a removal another deploy did first fails).
    for (const id of found.slice(1)) await this.exec(["network", "rm", id]);
  }

  async networkRemove(name: string): Promise<boolean> {
    const result = await this.exec(["network", "rm", name]);
    return result.code === 0;
  }

  async networksWithLabels(labels: string[]): Promise<string[]> {
    const filters = labels.flatMap((label) => ["--filter", `label=${label}`]);
    const out = await this.ok(
      ["network", "ls", ...filters, "--format", "{{.Name}}"],
      "Listing networks",
    );
    return out.split("\n").filter(Boolean);
  }

  async run(spec: RunSpec): Promise<string> {
    const args = ["run", "-d", "--name", spec.name];
    // The platform's defaults for every container: what ECS with a read-only root would allow,
    // and an init process as PID 1 (ECS's initProcessEnabled) that forwards signals and reaps
    // zombies, so a process that spawns children still stops cleanly on SIGTERM.
    args.push(
      "--init",
      "--read-only",
      "--tmpfs",
      "/tmp",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
    );
    if (spec.network) args.push("--network", spec.network);
    if (spec.restart) args.push("--restart", spec.restart);
    if (spec.memoryMiB) args.push("--memory", `${spec.memoryMiB}m`);
    if (spec.cpuShares) args.push("--cpu-shares", String(spec.cpuShares));
    for (const [key, value] of Object.entries(spec.labels ?? {}))
      args.push("--label", `${key}=${value}`);
    for (const port of spec.publish ?? []) args.push("-p", port);
    let envDir: string | undefined;
    if (spec.env && Object.keys(spec.env).length) {
      envDir = mkdtempSync(path.join(tmpdir(), "deploy-kit-env-"));
      const file = path.join(envDir, "env");
      const body = Object.entries(spec.env).map(([key, value]) => {
        if (/[\r\n]/.test(value))
          throw new DeployError(
            `The value of ${key} has a line break, which Docker's env files cannot carry.`,
            {
              hint: `Put ${key} on one line (encode a multi-line value, e.g. as base64) where it is set: the app's deploy.json or its .env.local.`,
            },
          );
        return `${key}=${value}`;
      });
      writeFileSync(file, `${body.join("\n")}\n`, { mode: 0o600 });
      args.push("--env-file", file);
    }
    try {
      const result = await this.exec([...args, spec.image]);
      if (result.code !== 0) {
        const reason = firstLine(result.stderr);
        const portTaken = /port is already allocated|address already in use/i.test(result.stderr);
        throw new DeployError(`Starting container ${spec.name} failed: ${reason}`, {
          code: portTaken ? "port_taken" : "run_failed",
        });
      }
      return result.stdout.trim();
    } finally {
      if (envDir) rmSync(envDir, { recursive: true, force: true });
    }
  }

  async inspect(idOrName: string): Promise<ContainerInfo | undefined> {
    const result = await this.exec(["container", "inspect", idOrName]);
    if (result.code !== 0) return undefined;
    const [raw] = JSON.parse(result.stdout) as unknown[];
    return raw ? toContainer(raw) : undefined;
  }

  async containersWithLabels(labels: string[], all = true): Promise<ContainerInfo[]> {
    const args = ["ps", "-q", "--no-trunc"];
    if (all) args.push("-a");
    for (const label of labels) args.push("--filter", `label=${label}`);
    const ids = (await this.ok(args, "Listing containers")).split("\n").filter(Boolean);
    if (!ids.length) return [];
    // A container removed between the two calls makes inspect fail for it alone: keep the rest.
    const result = await this.exec(["container", "inspect", ...ids]);
    const parsed = result.stdout.trim() ? (JSON.parse(result.stdout) as unknown[]) : [];
    return parsed.map(toContainer);
  }

  async setRestartPolicy(id: string, policy: "no" | "unless-stopped"): Promise<void> {
    await this.ok(["update", "--restart", policy, id], `Setting the restart policy of ${id}`);
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    await this.exec(["stop", "-t", String(timeoutSeconds), id]);
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length) await this.exec(["rm", "-f", ...ids]);
  }

  async logs(id: string, tail: number): Promise<string[]> {
    const result = await this.exec(["logs", "--tail", String(tail), id]);
    return `${result.stdout}${result.stderr}`.split("\n").filter((line) => line.trim());
  }
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .find(Boolean) ?? ""
  ).replace(/^Error response from daemon: /, "");
}

// biome-ignore lint/suspicious/noExplicitAny: docker's JSON, narrowed right here
function toImage(raw: any): ImageInfo {
  return {
    id: raw.Id,
    size: raw.Size,
    created: raw.Created,
    labels: raw.Config?.Labels ?? {},
    repoTags: raw.RepoTags ?? [],
    repoDigests: raw.RepoDigests ?? [],
    ...(raw.Architecture ? { architecture: raw.Architecture } : {}),
    ...(raw.Os ? { os: raw.Os } : {}),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: docker's JSON, narrowed right here
function toContainer(raw: any): ContainerInfo {
  const ports: Record<string, string> = {};
  for (const [key, bindings] of Object.entries(raw.NetworkSettings?.Ports ?? {})) {
    const first = (bindings as Array<{ HostIp: string; HostPort: string }> | null)?.[0];
    if (first) ports[key] = `${first.HostIp || "127.0.0.1"}:${first.HostPort}`;
  }
  return {
    id: raw.Id,
    name: String(raw.Name ?? "").replace(/^\//, ""),
    image: raw.Config?.Image ?? "",
    imageId: raw.Image ?? "",
    created: raw.Created,
    labels: raw.Config?.Labels ?? {},
    restartCount: raw.RestartCount ?? 0,
    state: {
      status: raw.State?.Status ?? "unknown",
      running: Boolean(raw.State?.Running),
      exitCode: raw.State?.ExitCode ?? 0,
      oomKilled: Boolean(raw.State?.OOMKilled),
      error: raw.State?.Error ?? "",
      startedAt: raw.State?.StartedAt ?? "",
      finishedAt: raw.State?.FinishedAt ?? "",
      health: raw.State?.Health?.Status,
    },
    ports,
    env: parseEnv(raw.Config?.Env),
  };
}

/** Docker's ["KEY=value", ...] as an object; a value keeps any "=" it holds. */
export function parseEnv(list: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (!Array.isArray(list)) return env;
  for (const item of list) {
    if (typeof item !== "string") continue;
    const at = item.indexOf("=");
    if (at > 0) env[item.slice(0, at)] = item.slice(at + 1);
  }
  return env;
}

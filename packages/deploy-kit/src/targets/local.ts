import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ResolvedApp } from "@repo/platform-config/resolve";
import { baseImageArgs } from "../docker/base-images.js";
import type { ContainerInfo, Docker } from "../docker/docker.js";
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_MIN_LENGTH, type RouteMap } from "../edge/api.js";
import { EdgeAdminClient } from "../edge/client.js";
import { DeployError, EXIT, InterruptedError } from "../errors.js";
import { GitHubActions } from "../github.js";
import type { Reporter } from "../output.js";
import { LABEL, type Project } from "../project.js";
import { redactLines } from "../redact.js";
import type { AppStatus, ReleaseInput, ReleaseOptions, ReleaseResult, Target } from "./target.js";

/** Stopped releases kept per app for rollback (their images stay on the engine). */
const HISTORY = 5;
const POLL_MS = 200;
const DRAIN_LIMIT_MS = 30_000;
/** Matches the apps' own SHUTDOWN_TIMEOUT_MS limit, inside ECS's 30 s. */
const STOP_TIMEOUT_S = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** dist/edge of this package, wherever this module was bundled to or run from. */
export function edgeAssetsDir(from = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from);
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (
      existsSync(manifest) &&
      JSON.parse(readFileSync(manifest, "utf8")).name === "@repo/deploy-kit"
    ) {
      return path.join(dir, "dist", "edge");
    }
    dir = path.dirname(dir);
  }
  throw new Error("deploy-kit's own folder was not found above its code");
}

/** KEY=VALUE lines (comments and blank lines ignored), as Docker and dotenv read them. */
function readEnvFile(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match?.[1]) values[match[1]] = (match[2] ?? "").replace(/^(["'])(.*)\1$/, "$2");
  }
  return values;
}

/**
 * The `local` environment: each app in containers on a private Docker network, behind the edge
 * router (a container published on 127.0.0.1:<edge port>) that routes `<subdomain>.localhost` to
 * the app's current release, as the ALB's host rules do on AWS.
 */
export class LocalTarget implements Target {
  readonly network: string;
  readonly edgeName: string;
  readonly #docker: Docker;
  readonly #project: Project;
  readonly #reporter: Reporter;
  readonly #assets: string;
  readonly #env: Record<string, string | undefined>;
  #edge: EdgeAdminClient | undefined;

  constructor(deps: {
    docker: Docker;
    project: Project;
    reporter: Reporter;
    edgeAssets?: string;
    /** For BASE_IMAGE_PINS, DEPLOY_KIT_BASE_IMAGE_* and GITHUB_ACTIONS. @default process.env */
    env?: Record<string, string | undefined>;
  }) {
    this.#docker = deps.docker;
    this.#env = deps.env ?? process.env;
    this.#project = deps.project;
    this.#reporter = deps.reporter;
    this.#assets = deps.edgeAssets ?? edgeAssetsDir();
    this.network = `${deps.project.name}-local`;
    this.edgeName = `${deps.project.name}-edge`;
  }

  get edgePort(): number {
    const environment = this.#project.environment;
    if (environment.kind !== "local") throw new Error("LocalTarget needs the local environment");
    return environment.edgePort;
  }

  private labels(
    role: "app" | "edge" | "network",
    extra: Record<string, string> = {},
  ): Record<string, string> {
    return {
      [LABEL.managed]: "true",
      [LABEL.project]: this.#project.name,
      [LABEL.env]: "local",
      [LABEL.role]: role,
      ...extra,
    };
  }

  private ownFilter(): string[] {
    return [
      `${LABEL.managed}=true`,
      `${LABEL.project}=${this.#project.name}`,
      `${LABEL.env}=local`,
    ];
  }

  /** Containers of one app, newest first; `running` only the ones that run. */
  async appContainers(app: string, running = false): Promise<ContainerInfo[]> {
    const all = await this.#docker.containersWithLabels(
      [...this.ownFilter(), `${LABEL.role}=app`, `${LABEL.app}=${app}`],
      !running,
    );
    return all
      .filter((container) => !running || container.state.running)
      .sort((a, b) => b.created.localeCompare(a.created));
  }

  /**
   * The release that serves: the container the edge routes the app's host to (not merely the
   * newest running one, which may be a release in progress or a leftover of a killed one).
   * Without an edge, the newest running container.
   */
  private async routedContainer(
    app: ResolvedApp,
    running: ContainerInfo[],
    edge: EdgeAdminClient | undefined,
  ): Promise<ContainerInfo | undefined> {
    if (!edge) return running[0];
    return this.routedIn(await edge.getRoutes(), app, running);
  }

  /** The container of `containers` that `routes` sends the app's host to. */
  private routedIn(
    routes: RouteMap,
    app: ResolvedApp,
    containers: ContainerInfo[],
  ): ContainerInfo | undefined {
    return containers.find((container) => routes[this.host(app)] === this.upstream(container, app));
  }

  private upstream(container: { name: string }, app: ResolvedApp): string {
    return `http://${container.name}:${app.port}`;
  }

  private healthUrl(container: { name: string }, app: ResolvedApp): string {
    return `${this.upstream(container, app)}${app.healthCheckPath}`;
  }

  private host(app: ResolvedApp): string {
    return `${app.subdomain}.localhost`;
  }

  /** The edge image's tag follows its content: a new deploy-kit gets a new edge. */
  private async edgeImage(): Promise<string> {
    const bundle = path.join(this.#assets, "server.mjs");
    if (!existsSync(bundle)) {
      throw new DeployError(`The edge router's bundle ${bundle} is missing.`, {
        hint: "Build deploy-kit first: `npx turbo run build --filter=@repo/deploy-kit`.",
      });
    }
    const dockerfile = readFileSync(path.join(this.#assets, "Dockerfile"), "utf8");
    // The pinned base image, or its tag / a mirror's copy (base-images.ts); another base gives
    // another image, so it is part of the tag.
    const buildArgs = baseImageArgs(dockerfile, this.#env);
    const hash = createHash("sha256");
    hash.update(readFileSync(bundle));
    hash.update(dockerfile);
    hash.update(JSON.stringify(buildArgs));
    const tag = `deploy-kit-edge:${hash.digest("hex").slice(0, 12)}`;
    if (!(await this.#docker.imageInspect(tag))) {
      const done = this.#reporter.step(`build the edge router image ${tag}`);
      await this.#docker.build({
        context: this.#assets,
        dockerfile: path.join(this.#assets, "Dockerfile"),
        tags: [tag],
        buildArgs,
        labels: { [LABEL.managed]: "true", [LABEL.role]: "edge" },
      });
      done();
    }
    return tag;
  }

  /**
   * The network and the edge, created when missing, replaced when outdated (another edge port or
   * edge version). A new edge learns the routes of the releases that run. `inspected`: the edge
   * container as the caller has just inspected it, so it is not inspected again.
   */
  async ensureEdge(inspected?: ContainerInfo): Promise<EdgeAdminClient> {
    if (this.#edge) return this.#edge;
    await this.#docker.networkEnsure(this.network, this.labels("network"));
    const image = await this.edgeImage();
    let edge = inspected ?? (await this.#docker.inspect(this.edgeName));
    const wanted = `127.0.0.1:${this.edgePort}`;
    if (
      edge &&
      (!edge.state.running ||
        edge.image !== image ||
        edge.ports["8080/tcp"] !== wanted ||
        // An edge from before admin tokens, or one started by hand: only deploy-kit's own will do.
        (edge.env[ADMIN_TOKEN_ENV]?.length ?? 0) < ADMIN_TOKEN_MIN_LENGTH)
    ) {
      this.#reporter.info(
        `replacing the edge router (${edge.state.running ? "outdated" : edge.state.status})`,
      );
      await this.#docker.remove([edge.id]);
      edge = undefined;
    }
    if (!edge) edge = await this.startEdge(image);
    const admin = edge.ports["9901/tcp"];
    if (!admin) throw new DeployError(`The edge router ${this.edgeName} publishes no admin port.`);
    // The token of the edge that runs (ours, or the one another deploy started a moment ago),
    // read back from its environment: it is written nowhere else.
    const token = edge.env[ADMIN_TOKEN_ENV];
    if (!token) {
      throw new DeployError(`The edge router ${this.edgeName} has no admin token.`, {
        hint: `Remove it (\`docker rm -f ${this.edgeName}\`) and run the command again: deploy-kit starts a new one.`,
      });
    }
    const client = new EdgeAdminClient(`http://${admin}`, { token });
    await this.waitForEdge(client);
    await this.syncRoutes(client, edge.created);
    this.#edge = client;
    return client;
  }

  private async startEdge(image: string): Promise<ContainerInfo> {
    const done = this.#reporter.step(`start the edge router on 127.0.0.1:${this.edgePort}`);
    try {
      await this.#docker.run({
        name: this.edgeName,
        image,
        network: this.network,
        labels: this.labels("edge"),
        publish: [`127.0.0.1:${this.edgePort}:8080`, "127.0.0.1::9901"],
        restart: "unless-stopped",
        memoryMiB: 128,
        // A new secret per edge, through the private env file: only deploy-kit (and whoever can
        // run `docker inspect`, who is root-equivalent anyway) can change routes.
        env: { [ADMIN_TOKEN_ENV]: randomBytes(32).toString("base64url") },
      });
    } catch (err) {
      if (err instanceof DeployError && err.code === "port_taken") {
        await this.#docker.remove([this.edgeName]);
        throw new DeployError(
          `Port ${this.edgePort} on 127.0.0.1 is taken by another program, so the edge router cannot listen there.`,
          {
            hint: `Stop that program (\`ss -ltnp 'sport = :${this.edgePort}'\` shows it), or set environments.local.edgePort in platform.config.json to a free port.`,
          },
        );
      }
      // Another deploy (turbo runs one per app) started it a moment ago: use that one.
      if (!(err instanceof DeployError && /already in use/.test(err.message))) throw err;
    }
    const edge = await this.#docker.inspect(this.edgeName);
    if (!edge)
      throw new DeployError(
        `The edge router ${this.edgeName} vanished right after it was started.`,
      );
    done();
    return edge;
  }

  private async waitForEdge(client: EdgeAdminClient): Promise<void> {
    const deadline = performance.now() + 15_000;
    for (;;) {
      try {
        await client.health();
        return;
      } catch (err) {
        if (performance.now() > deadline) {
          const logs = await this.#docker.logs(this.edgeName, 20);
          throw new DeployError(`The edge router does not answer: ${(err as Error).message}`, {
            details: logs,
          });
        }
        await sleep(100);
      }
    }
  }

  /**
   * Gives a fresh (or restarted) edge the routes of the releases that run. Only hosts it has no
   * route for, and only containers older than the edge: a newer one belongs to a release in
   * progress (turbo runs one deploy per app at once), which sets its route once it is healthy.
   */
  private async syncRoutes(client: EdgeAdminClient, edgeCreated: string): Promise<void> {
    const routes = await client.getRoutes();
    for (const app of this.#project.loaded.apps) {
      const host = `${app.manifest.subdomain}.localhost`;
      if (routes[host]) continue;
      const current = (await this.appContainers(app.name, true)).find(
        (c) => c.created < edgeCreated,
      );
      const port = current?.labels[LABEL.port];
      if (current && port) await client.setRoute(host, `http://${current.name}:${port}`);
    }
  }

  /** Secrets come from apps/<app>/.env.local locally (never committed); every reference must be there. */
  private localSecrets(app: ResolvedApp): Record<string, string> {
    const names = Object.keys(app.secrets);
    if (!names.length) return {};
    const file = path.join(app.dir, ".env.local");
    const values = existsSync(file) ? readEnvFile(file) : {};
    const missing = names.filter((name) => values[name] === undefined);
    if (missing.length) {
      throw new DeployError(
        `${app.name} needs the secret(s) ${missing.join(", ")}, which the local environment reads from ${path.relative(this.#project.root, file)}.`,
        {
          hint: `Add a line NAME=value for each to ${path.relative(this.#project.root, file)} (it is git-ignored).`,
          exitCode: EXIT.usage,
        },
      );
    }
    return Object.fromEntries(names.map((name) => [name, values[name] ?? ""]));
  }

  async release(input: ReleaseInput, options: ReleaseOptions): Promise<ReleaseResult> {
    const { app } = input;
    const begin = performance.now();
    const elapsed = () => Number(((performance.now() - begin) / 1000).toFixed(2));
    if (!(await this.#docker.imageInspect(input.image))) {
      throw new DeployError(`There is no image ${input.image} to release.`, {
        hint: `Build it first: \`deploy-kit build ${app.name}\` (or use \`deploy-kit deploy\`).`,
      });
    }
    const edge = options.dryRun ? undefined : await this.ensureEdge();
    const running = await this.appContainers(app.name, true);
    const current = await this.routedContainer(app, running, edge);
    const name = `${this.#project.name}-${app.name}-${randomBytes(3).toString("hex")}`;
    const secrets = this.localSecrets(app);
    const env = {
      ...app.environment,
      ...secrets,
      // The names (never the values) of the secrets, as the ECS task definition sets them: the
      // app's env validation never prints these variables' values.
      PLATFORM_SECRET_NAMES: Object.keys(app.secrets).sort().join(","),
      PORT: String(app.port),
      DEPLOY_ENV: "local",
      GIT_COMMIT: input.commit,
    };
    const released = {
      app: app.name,
      url: app.url,
      image: input.image,
      commit: input.commit,
      tag: input.tag,
      release: name,
      ...(current ? { previous: current.name } : {}),
    };
    if (options.dryRun || !edge) {
      this.#reporter.info(
        `would start ${name} from ${input.image} on ${this.network}, wait for ${app.healthCheckPath}, route ${this.host(app)} to it${current ? `, then drain and stop ${current.name}` : ""}`,
      );
      return { ...released, secondsToTraffic: 0, seconds: elapsed(), dryRun: true };
    }

    const started = this.#reporter.step(`start ${name} (${input.tag})`);
    await this.#docker.run({
      name,
      image: input.image,
      network: this.network,
      env,
      memoryMiB: app.memory,
      // CPU units as relative shares, the way ECS on EC2 uses them: a weight, not a cap.
      cpuShares: app.cpu,
      // No restarts until it is healthy: a crash must show as a crash, with its exit code.
      restart: "no",
      labels: this.labels("app", {
        [LABEL.app]: app.name,
        [LABEL.commit]: input.commit,
        [LABEL.tag]: input.tag,
        [LABEL.release]: name,
        [LABEL.port]: String(app.port),
      }),
    });
    started();

    const previousNote = current
      ? `the previous release ${current.name} keeps serving`
      : "nothing else was changed";
    const healthy = this.#reporter.step(`wait for ${name} to answer ${app.healthCheckPath}`);
    try {
      await this.waitHealthy(edge, name, app, options);
    } catch (err) {
      const github = new GitHubActions(this.#env);
      // The app may print its configuration: no secret of it goes into the error's details.
      const logs = redactLines(await this.#docker.logs(name, 20), {
        names: Object.keys(app.secrets),
        values: Object.values(secrets),
        onRedacted: (value) => github.mask(value),
      });
      await this.#docker.remove([name]);
      if (err instanceof InterruptedError) {
        throw new InterruptedError(
          `Interrupted while ${name} was starting: it was removed and ${previousNote}.`,
        );
      }
      const reason = (err as Error).message;
      throw new DeployError(
        `${app.name} ${input.tag} did not become healthy: ${reason}. The new container was removed and ${previousNote}.`,
        {
          details: logs.length
            ? ["last log lines of the new container:", ...logs]
            : ["the container printed nothing"],
          hint: `Run the image yourself to see it start: \`docker run --rm -e PORT=${app.port} ${input.image}\`.`,
        },
      );
    }
    healthy();
    // From now on it is the app: it comes back after a reboot or a crash, like an ECS task.
    await this.#docker.setRestartPolicy(name, "unless-stopped");

    const switched = this.#reporter.step(`route ${this.host(app)} to ${name}`);
    await edge.setRoute(this.host(app), this.upstream({ name }, app));
    const secondsToTraffic = elapsed();
    switched();

    // Every other running container of the app: the previous release, and any left over by a
    // release that was killed before it could clean up.
    for (const old of running) {
      const drained = this.#reporter.step(`drain and stop ${old.name}`);
      await this.drain(edge, this.upstream(old, app));
      await this.#docker.stop(old.id, STOP_TIMEOUT_S);
      drained();
    }
    await this.pruneHistory(app.name);
    return { ...released, secondsToTraffic, seconds: elapsed() };
  }

  private async waitHealthy(
    edge: EdgeAdminClient,
    name: string,
    app: ResolvedApp,
    options: ReleaseOptions,
  ): Promise<void> {
    const deadline = performance.now() + options.timeoutMs;
    const url = this.healthUrl({ name }, app);
    let last = "no answer yet";
    for (;;) {
      if (options.signal.aborted) throw new InterruptedError("interrupted");
      const info = await this.#docker.inspect(name);
      // The restart policy brings a crashed container back: a restart is a crash all the same.
      if (!info?.state.running || info.restartCount > 0 || info.state.status === "restarting") {
        const state = info?.state;
        throw new Error(
          state?.oomKilled
            ? `it ran out of memory (manifest memory: ${app.memory} MiB) and was killed`
            : `it exited with code ${state?.exitCode ?? "?"}${state?.error ? ` (${state.error})` : ""}`,
        );
      }
      const probe = await edge.probe(url, 2_000);
      if (probe.ok) return;
      last = probe.status
        ? `${app.healthCheckPath} answered ${probe.status}`
        : (probe.error ?? "no answer");
      if (performance.now() > deadline) {
        throw new Error(
          `no healthy answer within ${Math.round(options.timeoutMs / 1000)} s (last: ${last})`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Waits until the edge has no request in flight to `upstream` (bounded). */
  private async drain(edge: EdgeAdminClient, upstream: string): Promise<void> {
    const deadline = performance.now() + DRAIN_LIMIT_MS;
    while (performance.now() < deadline) {
      if (!(await edge.inFlight(upstream))) return;
      await sleep(50);
    }
    this.#reporter.warn(
      `${upstream} still had requests in flight after ${DRAIN_LIMIT_MS / 1000} s; stopping it anyway`,
    );
  }

  private async pruneHistory(app: string): Promise<void> {
    const stopped = (await this.appContainers(app)).filter((container) => !container.state.running);
    const extra = stopped.slice(HISTORY).map((container) => container.id);
    await this.#docker.remove(extra);
  }

  async status(apps: ResolvedApp[]): Promise<AppStatus[]> {
    const edgeInfo = await this.#docker.inspect(this.edgeName);
    const edge = edgeInfo?.state.running
      ? await this.ensureEdge(edgeInfo).catch(() => undefined)
      : undefined;
    const routes = edge ? await edge.getRoutes() : {};
    const statuses: AppStatus[] = [];
    for (const app of apps) {
      const containers = await this.appContainers(app.name);
      const history = containers
        .filter((container) => !container.state.running)
        .map((container) => ({
          release: container.name,
          commit: container.labels[LABEL.commit] ?? "",
          tag: container.labels[LABEL.tag] ?? "",
          image: container.image,
          created: container.created,
        }));
      const running = containers.filter((container) => container.state.running);
      const routed = this.routedIn(routes, app, running);
      const current = routed ?? running[0];
      if (!current) {
        statuses.push({ app: app.name, url: app.url, state: "not deployed", history });
        continue;
      }
      const probe = edge ? await edge.probe(this.healthUrl(current, app), 2_000) : undefined;
      const health = !edge
        ? "edge router not running"
        : !routed
          ? "not routed"
          : probe?.ok
            ? "healthy"
            : `unhealthy (${probe?.status ?? probe?.error ?? "no answer"})`;
      statuses.push({
        app: app.name,
        url: app.url,
        state: health === "healthy" ? "running" : "unhealthy",
        release: current.name,
        image: current.image,
        commit: current.labels[LABEL.commit],
        health,
        since: current.state.startedAt,
        history,
      });
    }
    return statuses;
  }

  async rollbackTarget(app: ResolvedApp, to: string | undefined): Promise<ReleaseInput> {
    const containers = await this.appContainers(app.name);
    const edge = await this.ensureEdge();
    const current = await this.routedContainer(
      app,
      containers.filter((container) => container.state.running),
      edge,
    );
    const candidates = containers.filter((container) => container !== current);
    const match = to
      ? candidates.find(
          (container) =>
            container.name === to ||
            container.labels[LABEL.commit]?.startsWith(to) ||
            container.labels[LABEL.tag]?.startsWith(to),
        )
      : candidates.find((container) => container.image !== current?.image);
    if (!match) {
      const known =
        candidates.map((c) => `${c.labels[LABEL.tag]} (${c.name})`).join(", ") || "none";
      throw new DeployError(
        to
          ? `No earlier release of ${app.name} matches "${to}".`
          : `There is no earlier release of ${app.name} to roll back to.`,
        {
          hint: `Earlier releases kept locally: ${known}. \`deploy-kit status ${app.name}\` lists them.`,
        },
      );
    }
    return {
      app,
      image: match.image,
      commit: match.labels[LABEL.commit] ?? "",
      tag: match.labels[LABEL.tag] ?? "",
    };
  }

  /** Removes every container and network deploy-kit made for this project's local environment. */
  async down(dryRun: boolean): Promise<{ containers: string[]; networks: string[] }> {
    const containers = await this.#docker.containersWithLabels(this.ownFilter(), true);
    const networks = await this.#docker.networksWithLabels(this.ownFilter());
    const names = containers.map((container) => container.name);
    if (!dryRun) {
      await this.#docker.remove(containers.map((container) => container.id));
      for (const network of networks) await this.#docker.networkRemove(network);
    }
    return { containers: names, networks };
  }
}

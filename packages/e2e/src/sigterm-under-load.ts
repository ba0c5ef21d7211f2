import { deployKit, steadyLoad } from "./deploy-kit-cli.js";
import { docker } from "./docker.js";

export interface SigtermUnderLoad {
  /** Requests answered 200 through the edge while it all happened. */
  served: number;
  /** Requests that failed (a status other than 200, or no answer), with what they got. */
  failures: string[];
  /** The container that got SIGTERM, and its exit code. */
  stopped: string;
  exitCode: string;
  /** From SIGTERM to the container's exit. */
  secondsToExit: number;
  /** Why its drain ended, from its own log ("no connection open", "5000 ms passed"...). */
  drainEnded: string | undefined;
  /** From the replacement's `deploy-kit release` start until the edge routed the host to it. */
  replacementSecondsToTraffic: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Fargate Spot interruption, on the local platform: steady keep-alive load through the edge
 * router on `<app>.localhost`, SIGTERM to the container that serves it (`docker kill -s TERM`,
 * while the edge still routes there), and at the same moment a replacement started and routed by
 * `deploy-kit release`, as ECS's scheduler starts one for an interrupted task. Counts what the
 * clients saw until the old container has exited and the replacement serves. `cwd` is a
 * repository (a RepoCopy) whose app is deployed to the local environment on `edgePort`.
 */
export async function sigtermUnderLoad(options: {
  cwd: string;
  edgePort: number;
  app: string;
  path: string;
  concurrency?: number;
}): Promise<SigtermUnderLoad> {
  const status = await deployKit(options.cwd, ["status", options.app]);
  const serving: string | undefined = status.json.apps?.[0]?.release;
  if (status.code !== 0 || !serving) {
    throw new Error(`${options.app} is not deployed: ${status.stderr}`);
  }
  const load = steadyLoad(
    options.edgePort,
    `${options.app}.localhost`,
    options.path,
    options.concurrency,
  );
  try {
    // Keep-alive connections through the edge to the container are open and busy.
    await sleep(500);
    const signalled = performance.now();
    await docker(["kill", "--signal", "TERM", serving]);
    const replacement = deployKit(options.cwd, ["release", options.app]);
    const exited = docker(["wait", serving], 60_000).then((code) => ({
      code,
      seconds: (performance.now() - signalled) / 1000,
    }));
    const [release, exit] = await Promise.all([replacement, exited]);
    if (release.code !== 0) throw new Error(`the replacement's release failed: ${release.stderr}`);
    // A moment of load on the replacement alone, so that a failure right after the switch counts.
    await sleep(300);
    const { served, failures } = await load.stop();
    const logs = await docker(["logs", serving]);
    const drainOver = logs
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg?: string; why?: string })
      .find((line) => line.msg === "drain over");
    return {
      served,
      failures,
      stopped: serving,
      exitCode: exit.code,
      secondsToExit: exit.seconds,
      drainEnded: drainOver?.why,
      replacementSecondsToTraffic: release.json.apps[0].secondsToTraffic,
    };
  } finally {
    // Idempotent: stops the clients when anything above failed.
    await load.stop();
  }
}

import { spawn } from "node:child_process";
import { Agent } from "node:http";
import path from "node:path";
import { viaEdge } from "@repo/test-kit/http-socket";
import { repoRoot } from "./docker.js";

export const CLI = path.join(repoRoot, "packages/deploy-kit/dist/cli.js");

export interface CliRun {
  code: number;
  // biome-ignore lint/suspicious/noExplicitAny: the --json result, checked field by field
  json: any;
  stderr: string;
  seconds: number;
}

/** `deploy-kit <args> --json` in `cwd`, as a person or CI runs it; async, so load can run meanwhile. */
export function deployKit(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  const begin = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, "--json"], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = { unparsable: stdout };
      }
      resolve({ code: code ?? 1, json, stderr, seconds: (performance.now() - begin) / 1000 });
    });
  });
}

/** Steady load through the edge until stopped: `concurrency` keep-alive loops of GETs. */
export function steadyLoad(port: number, host: string, urlPath: string, concurrency = 8) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let running = true;
  const failures: string[] = [];
  let served = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const answer = await viaEdge(port, host, urlPath, agent);
        if (answer.status === 200) served += 1;
        else failures.push(`${answer.status} ${answer.body.slice(0, 200)}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { served, failures };
    },
  };
}

/**
 * Figures for deploy-kit and the local environment (issue 3): `--help` wall time, `deploy` of an
 * unchanged app end to end, requests served and failed during a release of the api under steady
 * load, and the time from `release` start to traffic on the new container.
 * Run: npm run bench -w @repo/e2e   (needs Docker)
 */

import { spawnSync } from "node:child_process";
import path from "node:path";
import { freePort } from "@repo/test-kit/free-port";
import { RepoCopy } from "@repo/test-kit/repo-copy";
import { CLI, deployKit, steadyLoad } from "../src/deploy-kit-cli.js";
import { repoRoot } from "../src/docker.js";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function helpTimes(command: string, args: string[], runs = 11): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    const result = spawnSync(command, args, { cwd: repoRoot, encoding: "utf8" });
    if (result.status !== 0)
      throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
    times.push(performance.now() - begin);
  }
  return times;
}

console.log("\n## deploy-kit --help wall time (11 runs, median)");
const ms = (times: number[]) => `${median(times).toFixed(0)} ms`;
const bin = path.join(repoRoot, "node_modules/.bin/deploy-kit");
console.log(
  `npx deploy-kit --help: ${ms(helpTimes("npx", ["deploy-kit", "--help"]))} (target: < 300 ms)`,
);
console.log(
  `node_modules/.bin/deploy-kit --help (npm scripts, turbo): ${ms(helpTimes(bin, ["--help"]))}`,
);
console.log(`node dist/cli.js --help: ${ms(helpTimes(process.execPath, [CLI, "--help"]))}`);
console.log(
  `for scale: node -e 0 ${ms(helpTimes(process.execPath, ["-e", "0"]))}, npx --version ${ms(helpTimes("npx", ["--version"]))}`,
);

const port = await freePort();
const copy = RepoCopy.create({ edgePort: port });
try {
  const first = await deployKit(copy.dir, ["deploy"]);
  if (first.code !== 0) throw new Error(`the first deploy failed: ${first.stderr}`);

  console.log("\n## deploy of an unchanged app, end to end (build reused, push, release; 3 runs)");
  const unchanged: number[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await deployKit(copy.dir, ["deploy", "api"]);
    if (run.code !== 0 || !run.json.apps[0].build.reused)
      throw new Error(`unexpected: ${run.stderr}`);
    unchanged.push(run.seconds);
  }
  console.log(
    `median ${median(unchanged).toFixed(2)} s, runs ${unchanged.map((s) => s.toFixed(2)).join(" / ")} s (target: < 5 s)`,
  );

  console.log("\n## release of the api under steady load (8 keep-alive clients through the edge)");
  for (let i = 0; i < 3; i++) {
    const load = steadyLoad(port, "api.localhost", "/v1/info");
    const run = await deployKit(copy.dir, ["release", "api"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { served, failures } = await load.stop();
    if (run.code !== 0) throw new Error(`release failed: ${run.stderr}`);
    console.log(
      `run ${i + 1}: ${served} requests served, ${failures.length} failed; release start to traffic on the new container ${run.json.apps[0].secondsToTraffic.toFixed(2)} s, whole release ${run.seconds.toFixed(2)} s`,
    );
  }
} finally {
  await deployKit(copy.dir, ["down"]);
  copy.remove();
}

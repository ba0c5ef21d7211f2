/**
 * Figure for the monorepo (issue 2): a second `turbo run build typecheck lint test` with nothing
 * changed is fully cached; how long it takes.
 * Run: npm run bench -w @repo/e2e
 */
import { spawnSync } from "node:child_process";
import { repoRoot } from "../src/docker.js";

const TASKS = ["build", "typecheck", "lint", "test"];

function run() {
  const begin = performance.now();
  const result = spawnSync("npx", ["turbo", "run", ...TASKS, "--output-logs=none"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  });
  if (result.status !== 0) throw new Error(`turbo failed:\n${result.stdout}\n${result.stderr}`);
  const cached = /Cached:\s+(\d+) cached, (\d+) total/.exec(result.stdout);
  return { seconds: (performance.now() - begin) / 1000, cached: cached?.[1], total: cached?.[2] };
}

console.log(`\n## Warm \`turbo run ${TASKS.join(" ")}\``);
const first = run();
console.log(`first run: ${first.seconds.toFixed(2)} s, ${first.cached}/${first.total} cached`);
const warm = run();
console.log(
  `second run, nothing changed: ${warm.seconds.toFixed(2)} s, ${warm.cached}/${warm.total} cached (wall time including npx)`,
);

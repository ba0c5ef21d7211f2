/**
 * Figures for shutdown under load (issue 10, item 13): requests failed through the local edge
 * router while the container serving the api gets SIGTERM under steady keep-alive load, with a
 * replacement released at the same moment (what ECS's scheduler does on a Fargate Spot
 * interruption). Target: 0 failed. For comparison, the same with SHUTDOWN_DRAIN_MS=0, which is
 * how the servers shut down before the drain: the listener closed at once.
 * Run: npm run bench:sigterm -w @repo/e2e   (needs Docker: eval "$(../shared/ci/offline-docker.sh)")
 */
import { freePort } from "@repo/test-kit/free-port";
import { RepoCopy } from "@repo/test-kit/repo-copy";
import { deployKit } from "../src/deploy-kit-cli.js";
import { sigtermUnderLoad } from "../src/sigterm-under-load.js";

const RUNS = 3;

async function scenario(copy: RepoCopy, port: number, title: string) {
  console.log(`\n## ${title} (${RUNS} runs, 8 keep-alive clients on api.localhost/v1/info)`);
  const deployed = await deployKit(copy.dir, ["deploy", "api"]);
  if (deployed.code !== 0) throw new Error(`deploy failed: ${deployed.stderr}`);
  for (let i = 0; i < RUNS; i++) {
    const run = await sigtermUnderLoad({
      cwd: copy.dir,
      edgePort: port,
      app: "api",
      path: "/v1/info",
    });
    const kinds = new Map<string, number>();
    for (const failure of run.failures) {
      const kind = failure.slice(0, 60);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(
      `run ${i + 1}: ${run.served} served, ${run.failures.length} failed; SIGTERM to exit ${run.secondsToExit.toFixed(2)} s (exit code ${run.exitCode}, drain ended: ${run.drainEnded ?? "no drain"}); replacement routed ${run.replacementSecondsToTraffic.toFixed(2)} s after its release started`,
    );
    for (const [kind, count] of kinds) console.log(`    ${count} x ${kind}`);
  }
}

const port = await freePort();
const copy = RepoCopy.create({ edgePort: port });
try {
  await scenario(
    copy,
    port,
    "SIGTERM to the serving api container + a replacement (the local environment's drain: deploy.json environments.local)",
  );
  copy.editJson("apps/api/deploy.json", (manifest) => {
    manifest.environments.local.environment.SHUTDOWN_DRAIN_MS = "0";
  });
  copy.commit("api: no drain");
  await scenario(
    copy,
    port,
    "The same with SHUTDOWN_DRAIN_MS=0 (close at once, as before the drain)",
  );
} finally {
  await deployKit(copy.dir, ["down"]);
  copy.remove();
}

import type { RequestListener } from "node:http";
import type { Readiness } from "@repo/server-kit/http";
import { exitOnSignals, type RunningServer, serve } from "@repo/server-kit/lifecycle";
import { createLogger } from "@repo/server-kit/logger";
import { type EdgeEnv, readEdgeEnv } from "./env.js";
import { createEdge } from "./router.js";

let env: EdgeEnv;
try {
  env = readEdgeEnv();
} catch (err) {
  console.error(`edge: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

const logger = createLogger({
  level: env.LOG_LEVEL,
  service: "edge",
  version: env.APP_VERSION,
  commit: env.GIT_COMMIT,
  environment: "local",
});
const edge = createEdge({ logger, adminToken: env.EDGE_ADMIN_TOKEN });
const readiness: Readiness = { ready: true };

const listen = (listener: string, app: RequestListener, port: number) =>
  serve({
    app,
    port,
    logger: logger.child({ listener }),
    readiness,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  });
const proxy = await listen("proxy", edge.proxy, env.EDGE_PORT);
proxy.server.on("upgrade", edge.upgrade);
const admin = await listen("admin", edge.admin, env.ADMIN_PORT);

let stopping: Promise<void> | undefined;
// No drain here (serve's default): nothing routes to the edge, people and the deploy CLI call it.
const both: RunningServer = {
  server: proxy.server,
  port: proxy.port,
  get phase() {
    return proxy.phase;
  },
  endDrain: () => false,
  shutdown(reason) {
    stopping ??= (async () => {
      // Tunnels (WebSockets) have no natural end to wait for, and the server would wait for them
      // until its deadline: end them now; their clients reconnect to whatever starts next.
      edge.closeTunnels();
      await Promise.all([proxy.shutdown(reason), admin.shutdown(reason)]);
      edge.close();
    })();
    return stopping;
  },
};
exitOnSignals(both, logger);

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
const edge = createEdge({ logger });
const readiness: Readiness = { ready: true };

const proxy = await serve({
  app: edge.proxy,
  port: env.EDGE_PORT,
  logger: logger.child({ listener: "proxy" }),
  readiness,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
});
proxy.server.on("upgrade", edge.upgrade);
const admin = await serve({
  app: edge.admin,
  port: env.ADMIN_PORT,
  logger: logger.child({ listener: "admin" }),
  readiness,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
});

let stopping: Promise<void> | undefined;
const both: RunningServer = {
  server: proxy.server,
  port: proxy.port,
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

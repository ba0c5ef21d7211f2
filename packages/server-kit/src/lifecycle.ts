import { once } from "node:events";
import type { Server, ServerResponse } from "node:http";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import type { z } from "zod";
import type { baseEnvShape } from "./env.js";
import type { Readiness } from "./http.js";
import { createLogger, type Logger } from "./logger.js";

export interface ServeOptions {
  /** The request handler, usually an Express app. */
  app: RequestListener;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind. @default all addresses, IPv4 and IPv6 */
  host?: string;
  logger: Logger;
  /** Turned false when shutdown starts. */
  readiness: Readiness;
  /** How long in-flight requests may take to finish after SIGTERM before they are cut. */
  shutdownTimeoutMs: number;
  /**
   * Idle keep-alive timeout. Above the ALB's 60 s idle timeout, so that the load balancer, not
   * the server, closes idle connections: otherwise it may send a request on a socket the server
   * is closing, and the client gets a 502. @default 65000
   */
  keepAliveTimeoutMs?: number;
}

export interface RunningServer {
  server: Server;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Graceful shutdown; resolves when every connection is closed. Idempotent. */
  shutdown(reason: string): Promise<void>;
}

/**
 * Starts an HTTP server with the shutdown the platform relies on. On `shutdown()`: readiness goes
 * false, the listening socket closes (new connections are refused), in-flight requests finish and
 * their connections close after the response, idle keep-alive connections close at once, and
 * whatever is still open after `shutdownTimeoutMs` is cut.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { app, logger, readiness } = options;
  const inFlight = new Set<ServerResponse>();
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    inFlight.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      // A connection that just went idle during shutdown has nothing left to do.
      if (closing) server.closeIdleConnections();
    });
    if (closing) res.setHeader("connection", "close");
    app(req, res);
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  // Must exceed keepAliveTimeout, or Node may time out a connection the client reuses.
  server.headersTimeout = server.keepAliveTimeout + 1_000;

  server.listen(options.port, options.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, "listening");

  function shutdown(reason: string): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      readiness.ready = false;
      logger.info({ reason, inFlight: inFlight.size }, "shutting down");
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      const deadline = setTimeout(() => {
        logger.warn({ inFlight: inFlight.size }, "shutdown timeout: closing open connections");
        server.closeAllConnections();
      }, options.shutdownTimeoutMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        logger.info("stopped");
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  }

  return { server, port, shutdown };
}

/**
 * SIGTERM (ECS, Docker) and SIGINT (Ctrl-C) start a graceful shutdown and exit 0 when it is done;
 * a second signal exits at once.
 */
export function exitOnSignals(running: RunningServer, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    received = true;
    running.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

export interface ServiceContext<Env> {
  env: Env;
  logger: Logger;
  readiness: Readiness;
}

export interface StartServiceOptions<Env> {
  /** The service's name on every log line. */
  service: string;
  /** Reads and validates the environment; throws `ConfigError`. */
  loadEnv: () => Env;
  createApp: (context: ServiceContext<Env>) => RequestListener;
}

/** What `startService` reads of a service's env: the variables of `baseEnvShape`. */
type BaseEnv = z.output<z.ZodObject<typeof baseEnvShape>>;

/**
 * The whole `server.ts` of a service: validate the environment (a bad one exits 1 with every
 * problem listed), log as JSON, listen on `PORT`, shut down gracefully on SIGTERM and SIGINT.
 */
export async function startService<Env extends BaseEnv>(
  options: StartServiceOptions<Env>,
): Promise<RunningServer> {
  let env: Env;
  try {
    env = options.loadEnv();
  } catch (err) {
    console.error(`${options.service}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const logger = createLogger({
    level: env.LOG_LEVEL,
    service: options.service,
    version: env.APP_VERSION,
    commit: env.GIT_COMMIT,
    environment: env.DEPLOY_ENV,
  });
  const readiness: Readiness = { ready: true };
  const running = await serve({
    app: options.createApp({ env, logger, readiness }),
    port: env.PORT,
    logger,
    readiness,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  });
  exitOnSignals(running, logger);
  return running;
}

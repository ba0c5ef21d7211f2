import { once } from "node:events";
import type { Server, ServerResponse } from "node:http";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { z } from "zod";
import type { baseEnvShape } from "./env.js";
import type { Readiness } from "./http.js";
import { createLogger, type Logger } from "./logger.js";

/**
 * The server's HTTP timeouts, in milliseconds. The ALB keeps idle connections to a target open for
 * 60 s and forwards each request's headers whole; the local edge router does the same.
 */
export const HTTP_TIMEOUTS = {
  /**
   * Idle keep-alive connections: above the ALB's 60 s idle timeout, so that the load balancer, not
   * the server, closes them. Otherwise it may send a request on a socket the server is closing,
   * and the client gets a 502.
   */
  keepAliveMs: 65_000,
  /**
   * From a request's first byte to the end of its headers (a 408 after that). The load balancer
   * sends headers in one piece, so only a client that trickles them (slowloris) gets near it.
   * Since Node 18 it counts per request, not from the previous one on the connection, so it no
   * longer needs to exceed keepAliveMs (an idle keep-alive connection is not timed by it).
   */
  headersMs: 10_000,
  /**
   * From a request's first byte to the end of its body: bounds slow uploads. The samples take
   * JSON bodies of at most 16 kB; an app that takes large uploads raises it (`requestTimeoutMs`
   * of `serve` and `startService`).
   */
  requestMs: 30_000,
  /** How often Node enforces the two above; its default of 30 s would let them overrun by as much. */
  checkIntervalMs: 1_000,
} as const;

export interface ServeOptions {
  /** The request handler, usually an Express app. */
  app: RequestListener;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind. @default all addresses, IPv4 and IPv6 */
  host?: string;
  logger: Logger;
  /** Turned false when shutdown starts: `/healthz` answers 503 from then on. */
  readiness: Readiness;
  /**
   * How long to keep serving after shutdown starts, readiness off, before the listener closes:
   * the time the load balancer needs to take this server out (SHUTDOWN_DRAIN_MS, see env.ts).
   * @default 0 (close at once)
   */
  drainMs?: number;
  /**
   * End the drain as soon as no connection is open (SHUTDOWN_DRAIN_ENDS_WHEN_IDLE): right where
   * the load balancer closes its connections to a server it no longer routes to.
   * @default false
   */
  drainEndsWhenIdle?: boolean;
  /** How long in-flight requests may take to finish once the listener is closed before they are cut. */
  shutdownTimeoutMs: number;
  /** Idle keep-alive timeout. @default HTTP_TIMEOUTS.keepAliveMs (65 s, above the ALB's 60 s) */
  keepAliveTimeoutMs?: number;
  /** Longest wait for a request's headers. @default HTTP_TIMEOUTS.headersMs (10 s) */
  headersTimeoutMs?: number;
  /** Longest wait for a whole request, headers and body. @default HTTP_TIMEOUTS.requestMs (30 s) */
  requestTimeoutMs?: number;
}

/**
 * Where a server is: `serving`; `draining` (shutdown started: not ready, still serving every
 * request, new connections too); `closing` (listener closed, in-flight requests finishing);
 * `stopped`.
 */
export type ServerPhase = "serving" | "draining" | "closing" | "stopped";

export interface RunningServer {
  server: Server;
  /** The port actually bound (useful with port 0). */
  port: number;
  readonly phase: ServerPhase;
  /**
   * Graceful shutdown: readiness off, the drain (unless `drain: false`), then close; resolves
   * when every connection is closed. Idempotent: a later call returns the same promise.
   */
  shutdown(reason: string, options?: { drain?: boolean }): Promise<void>;
  /** Ends a drain in progress, so the listener closes now; false when no drain is running. */
  endDrain(reason: string): boolean;
}

/**
 * Starts an HTTP server with the shutdown the platform relies on. On `shutdown()`, in order:
 * 1. readiness goes false (`/healthz` answers 503), so the load balancer takes the server out;
 * 2. the drain: for `drainMs` the server keeps serving as before, existing and new connections
 *    alike, since the load balancer may route here until it has noticed; `endDrain()` (a second
 *    signal) or, with `drainEndsWhenIdle`, the last connection closing ends it early;
 * 3. the listening socket closes (new connections are refused), idle keep-alive connections close
 *    at once and busy ones after their response (`connection: close`);
 * 4. whatever is still open `shutdownTimeoutMs` later is cut.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { app, logger, readiness } = options;
  const drainMs = options.drainMs ?? 0;
  const inFlight = new Set<ServerResponse>();
  const connections = new Set<Socket>();
  let phase: ServerPhase = "serving";
  let stopping: Promise<void> | undefined;
  let finishDrain: ((why: string) => void) | undefined;

  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? HTTP_TIMEOUTS.headersMs,
      requestTimeout: options.requestTimeoutMs ?? HTTP_TIMEOUTS.requestMs,
      connectionsCheckingInterval: HTTP_TIMEOUTS.checkIntervalMs,
    },
    (req, res) => {
      inFlight.add(res);
      res.once("close", () => {
        inFlight.delete(res);
        // A connection that just went idle while closing has nothing left to do.
        if (phase === "closing") server.closeIdleConnections();
      });
      if (phase === "closing") res.setHeader("connection", "close");
      app(req, res);
    },
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? HTTP_TIMEOUTS.keepAliveMs;
  server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => {
      connections.delete(socket);
      if (options.drainEndsWhenIdle && connections.size === 0) finishDrain?.("no connection open");
    });
  });

  server.listen(options.port, options.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, "listening");

  /** Resolves with why the drain ended. */
  function drain(ms: number): Promise<string> {
    phase = "draining";
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(`${ms} ms passed`), ms);
      function done(why: string) {
        clearTimeout(timer);
        finishDrain = undefined;
        resolve(why);
      }
      finishDrain = done;
      if (options.drainEndsWhenIdle && connections.size === 0) done("no connection open");
    });
  }

  function close(): Promise<void> {
    phase = "closing";
    logger.info(
      { inFlight: inFlight.size, connections: connections.size },
      "closing: refusing new connections, finishing requests in flight",
    );
    return new Promise((resolve) => {
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      const deadline = setTimeout(() => {
        logger.warn({ inFlight: inFlight.size }, "shutdown timeout: closing open connections");
        server.closeAllConnections();
      }, options.shutdownTimeoutMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        phase = "stopped";
        logger.info("stopped");
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  function shutdown(reason: string, shutdownOptions: { drain?: boolean } = {}): Promise<void> {
    stopping ??= (async () => {
      readiness.ready = false;
      const ms = shutdownOptions.drain === false ? 0 : drainMs;
      logger.info(
        { reason, drainMs: ms, inFlight: inFlight.size, connections: connections.size },
        "shutting down",
      );
      if (ms > 0) {
        const why = await drain(ms);
        logger.info({ why, inFlight: inFlight.size }, "drain over");
      }
      await close();
    })();
    return stopping;
  }

  return {
    server,
    port,
    get phase() {
      return phase;
    },
    shutdown,
    endDrain(reason) {
      if (!finishDrain) return false;
      finishDrain(reason);
      return true;
    },
  };
}

/**
 * What each signal does, in order (the handler `exitOnSignals` installs; `exit` is
 * `process.exit` there). The first SIGTERM (ECS, Docker) starts a graceful shutdown with its
 * drain, and the process exits 0 when it is done; the first SIGINT (Ctrl-C: a person, no load
 * balancer to wait for) skips the drain. A signal during the drain ends it: ECS signals again when
 * it stops a task it has deregistered. A signal after that exits at once, with 1.
 */
export function signalHandler(
  running: Pick<RunningServer, "shutdown" | "endDrain">,
  logger: Logger,
  exit: (code: number) => void,
): (signal: NodeJS.Signals) => void {
  let received = false;
  return (signal) => {
    if (received) {
      if (running.endDrain(signal)) {
        logger.warn({ signal }, "another signal: ending the drain now");
        return;
      }
      logger.warn({ signal }, "another signal: exiting now");
      exit(1);
      return;
    }
    received = true;
    running.shutdown(signal, { drain: signal !== "SIGINT" }).then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
}

/** SIGTERM and SIGINT start a graceful shutdown; see `signalHandler` for what each one does. */
export function exitOnSignals(
  running: Pick<RunningServer, "shutdown" | "endDrain">,
  logger: Logger,
): void {
  const onSignal = signalHandler(running, logger, (code) => process.exit(code));
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
  /** Longest wait for a whole request, headers and body. @default HTTP_TIMEOUTS.requestMs (30 s) */
  requestTimeoutMs?: number;
}

/** What `startService` reads of a service's env: the variables of `baseEnvShape`. */
type BaseEnv = z.output<z.ZodObject<typeof baseEnvShape>>;

/**
 * The whole `server.ts` of a service: validate the environment (a bad one exits 1 with every
 * problem listed), log as JSON, listen on `PORT`, shut down gracefully on SIGTERM (with the
 * drain, SHUTDOWN_DRAIN_MS) and SIGINT.
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
    drainMs: env.SHUTDOWN_DRAIN_MS,
    drainEndsWhenIdle: env.SHUTDOWN_DRAIN_ENDS_WHEN_IDLE,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  exitOnSignals(running, logger);
  return running;
}

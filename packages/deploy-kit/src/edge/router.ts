import type { IncomingMessage, RequestListener } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "@repo/server-kit/logger";
import { createAdmin, isContainerUrl } from "./admin.js";
import { createProxy } from "./proxy.js";
import { RouteTable, Traffic } from "./route-table.js";

export interface EdgeOptions {
  logger: Logger;
  /** The admin API's secret: requests must send `authorization: Bearer <adminToken>`. */
  adminToken: string;
  /**
   * Which URLs `POST /probe` may fetch.
   * @default only `http:` URLs whose host is a single DNS label (a container name), so the probe
   * cannot be turned against other hosts.
   */
  probeAllowed?: (url: URL) => boolean;
  /**
   * Longest wait for an upstream's response headers before answering 504. Bodies may then stream
   * for as long as they need (event streams, downloads).
   * @default 60000
   */
  upstreamTimeoutMs?: number;
}

export interface Edge {
  /** Request listener of the public port: routes by Host to the released container. */
  proxy: RequestListener;
  /** `upgrade` listener of the public port's server: WebSocket and other upgrades pass through. */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Request listener of the admin port (bind it where only the deploy CLI can reach it). */
  admin: RequestListener;
  routes: RouteTable;
  traffic: Traffic;
  /** Ends open tunnels (WebSockets), which would otherwise hold a graceful shutdown until its deadline. */
  closeTunnels(): void;
  /** Ends tunnels and every upstream socket, in use or pooled: call once the listeners are closed. */
  close(): void;
}

/**
 * The local environment's edge router, the laptop twin of the ALB's host rules: a proxy that sends
 * `<subdomain>.localhost` to the container currently released, and an admin API the deploy CLI
 * uses to switch routes. It keeps no state on disk: the CLI sends the routes again after a restart.
 */
export function createEdge(options: EdgeOptions): Edge {
  const routes = new RouteTable();
  const traffic = new Traffic();
  const proxy = createProxy({
    routes,
    traffic,
    logger: options.logger,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
  });
  const admin = createAdmin({
    adminToken: options.adminToken,
    routes,
    traffic,
    logger: options.logger,
    probeAllowed: options.probeAllowed ?? isContainerUrl,
  });
  return {
    proxy: proxy.request,
    upgrade: proxy.upgrade,
    admin,
    routes,
    traffic,
    closeTunnels: proxy.closeTunnels,
    close: proxy.close,
  };
}

import { randomUUID } from "node:crypto";
import {
  Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { pipeline } from "node:stream";
import type { Logger } from "@repo/server-kit/logger";
import type { EdgeErrorBody } from "./api.js";
import type { RouteTable, Traffic } from "./route-table.js";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);

/** The same rule as server-kit's request context, so both keep the same ids. */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

export interface ProxyOptions {
  routes: RouteTable;
  traffic: Traffic;
  logger: Logger;
  /** Longest wait for an upstream's response headers; the body may then take as long as it needs. */
  upstreamTimeoutMs: number;
}

export interface Proxy {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends open tunnels (WebSockets). Plain requests in flight are not touched. */
  closeTunnels(): void;
  /** Ends tunnels and every upstream socket, in use or pooled: call once no request is in flight. */
  close(): void;
}

interface HostHeader {
  /** Lower case, without port or trailing dot; "" when the request had no Host header. */
  name: string;
  port: string | undefined;
}

export function parseHostHeader(value: string | undefined): HostHeader {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec((value ?? "").trim());
  if (!match) return { name: "", port: undefined };
  return { name: (match[1] ?? "").toLowerCase().replace(/\.$/, ""), port: match[2] || undefined };
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(",") : (value ?? "");
  return new Set(
    joined
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Drops hop-by-hop headers: the fixed list, `proxy-*`, and whatever `Connection` names. */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    if (name.startsWith("proxy-")) continue;
    out[name] = value;
  }
  return out;
}

function clientAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address?.startsWith("::ffff:") ? address.slice(7) : address;
}

function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers["x-request-id"];
  return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

function upstreamRequestHeaders(
  req: IncomingMessage,
  host: HostHeader,
  requestId: string,
): OutgoingHttpHeaders {
  const headers = endToEnd(req.headers);
  const previous = req.headers["x-forwarded-for"];
  const client = clientAddress(req);
  if (client) headers["x-forwarded-for"] = previous ? `${previous}, ${client}` : client;
  headers["x-forwarded-proto"] = "http";
  // Overwritten, never appended: the apps trust these, so a client must not be able to set them.
  if (req.headers.host) headers["x-forwarded-host"] = req.headers.host;
  // A Host header leaves out the port only when it is the scheme's default, as the ALB reports it.
  headers["x-forwarded-port"] = host.port ?? "80";
  headers["x-request-id"] = requestId;
  return headers;
}

/** `/path?query` of the request, also when a client sent the absolute form (`GET http://h/p`). */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  if (url.startsWith("/") || url === "*") return url;
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return "/";
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Where an upstream origin (`http://name:port`) is connected to. */
function hostAndPort(upstream: string): { host: string; port: number } {
  const url = new URL(upstream);
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) || 80 };
}

class UpstreamTimeout extends Error {
  override name = "UpstreamTimeout";
}

/**
 * A request to the upstream origin `target`, destroyed with an UpstreamTimeout unless its response
 * (or upgrade) starts within `timeoutMs`: the caller clears the returned timer when it does.
 */
function upstreamRequest(
  target: string,
  options: { method: string | undefined; path: string; headers: OutgoingHttpHeaders },
  agent: Agent | false,
  timeoutMs: number,
): { proxyReq: ClientRequest; timer: NodeJS.Timeout } {
  const proxyReq = httpRequest({ ...options, ...hostAndPort(target), agent });
  const timer = setTimeout(() => {
    proxyReq.destroy(new UpstreamTimeout(`no response within ${timeoutMs} ms`));
  }, timeoutMs);
  return { proxyReq, timer };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function jsonAnswer(status: number, body: EdgeErrorBody & Record<string, unknown>): Answer {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}

/** The 502 (or 504 on a timeout) for an upstream that did not answer. */
function upstreamFailure(
  host: HostHeader,
  target: string,
  err: unknown,
  timeoutMs: number,
  requestId: string,
): Answer {
  const fix = "`deploy-kit status` shows whether the app runs and is healthy.";
  return err instanceof UpstreamTimeout
    ? jsonAnswer(504, {
        code: "gateway_timeout",
        message: `${host.name} did not answer within ${timeoutMs / 1000} s (upstream ${target}). ${fix}`,
        requestId,
      })
    : jsonAnswer(502, {
        code: "bad_gateway",
        message: `${host.name} is not answering: ${describe(err)} (upstream ${target}). ${fix}`,
        requestId,
      });
}

/** The 404 for a host without a route: lists the apps there are, as links a person can click. */
function unknownHostAnswer(
  req: IncomingMessage,
  host: HostHeader,
  hosts: string[],
  requestId: string,
): Answer {
  const apps = hosts.map((name) => `http://${name}${host.port ? `:${host.port}` : ""}`);
  const asked = host.name || "(no Host header)";
  const message =
    apps.length === 0
      ? `No app answers at ${asked}: no app is released to the local environment yet.`
      : `No app answers at ${asked}. Known apps: ${apps.join(", ")}.`;
  const accept = String(req.headers.accept ?? "");
  if (/application\/json/i.test(accept)) {
    return jsonAnswer(404, { code: "unknown_host", message, apps, requestId });
  }
  const list =
    apps.length === 0
      ? "<p>No app is released to the local environment yet. Deploy one and it shows up here.</p>"
      : `<p>The apps released to the local environment:</p>\n<ul>\n${apps
          .map((url) => `  <li><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></li>`)
          .join("\n")}\n</ul>`;
  const body = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>No app at ${escapeHtml(asked)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .2em}</style>
<h1>No app answers at <code>${escapeHtml(asked)}</code></h1>
${list}
<p><small>local edge router, request ${escapeHtml(requestId)}</small></p>
`;
  return {
    status: 404,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    body,
  };
}

function send(res: ServerResponse, answer: Answer, requestId: string): void {
  res.writeHead(answer.status, {
    ...answer.headers,
    "content-length": Buffer.byteLength(answer.body),
    "x-request-id": requestId,
  });
  res.end(answer.body);
}

/** Writes an HTTP response on a raw socket: what an upgrade request gets when it cannot be tunnelled. */
function sendRaw(socket: Duplex, answer: Answer, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const headers = {
    ...answer.headers,
    "content-length": String(Buffer.byteLength(answer.body)),
    "x-request-id": requestId,
    connection: "close",
  };
  const head = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n");
  socket.end(`${head}\r\n\r\n${answer.body}`);
}

function rawHead(status: string, rawHeaders: string[]): string {
  const lines = [status];
  for (let i = 0; i < rawHeaders.length; i += 2)
    lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

export function createProxy(options: ProxyOptions): Proxy {
  const { routes, traffic, logger, upstreamTimeoutMs } = options;
  // Keep-alive to the upstreams; Node servers send `Keep-Alive: timeout=5`, and the agent closes
  // its idle sockets a second before that, which keeps the reuse-after-close race rare.
  const agent = new Agent({ keepAlive: true, scheduling: "lifo" });
  const tunnels = new Set<Duplex>();

  // The edge lets go of an upstream as soon as no host routes to it, as the ALB closes its
  // connections to a target it has deregistered: pooled idle connections close at once, busy ones
  // once their response is done. The container then has no connection left, which (with
  // SHUTDOWN_DRAIN_ENDS_WHEN_IDLE, as the local environment sets it) ends its drain: a release
  // does not wait out the old container's drain, and a container stopped while still routed keeps
  // serving until its host is routed elsewhere.
  const routedPools = () =>
    new Set([...routes.upstreams()].map((u) => agent.getName(hostAndPort(u))));
  routes.onChange(() => {
    const routed = routedPools();
    for (const [name, sockets] of Object.entries(agent.freeSockets)) {
      if (routed.has(name)) continue;
      // The agent skips destroyed sockets and forgets them once they have closed.
      for (const socket of [...(sockets ?? [])]) socket.destroy();
    }
  });
  agent.on("free", (socket: Socket, options: { host?: string; port?: number | string }) => {
    const name = agent.getName(options);
    // Only a socket the agent pooled: one it handed straight to a waiting request is busy.
    if (!routedPools().has(name) && agent.freeSockets[name]?.includes(socket)) socket.destroy();
  });

  function accessLog(
    req: IncomingMessage,
    fields: {
      host: string;
      path: string;
      status: number;
      upstream: string | null;
      started: number;
    },
    requestId: string,
    extra?: Record<string, unknown>,
  ): void {
    const status = fields.status;
    const entry = {
      host: fields.host,
      method: req.method,
      // Without the query string: it can carry tokens, and the log is for traffic, not payloads.
      path: fields.path.split("?")[0],
      status,
      upstream: fields.upstream,
      ms: Math.round(performance.now() - fields.started),
      requestId,
      ...extra,
    };
    if (status >= 500) logger.warn(entry, "request");
    else logger.info(entry, "request");
  }

  function request(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const host = parseHostHeader(req.headers.host);
    const path = pathOf(req);
    const requestId = requestIdOf(req);
    const routed = routes.get(host.name);
    if (!routed) {
      send(res, unknownHostAnswer(req, host, routes.hosts(), requestId), requestId);
      accessLog(req, { host: host.name, path, status: 404, upstream: null, started }, requestId);
      return;
    }

    let upstream = routed;
    traffic.begin(upstream);
    let current: ClientRequest | undefined;
    let clientGone = false;
    let upstreamBroke: string | undefined;
    res.once("close", () => {
      traffic.end(upstream);
      clientGone = !res.writableFinished && upstreamBroke === undefined;
      // The client went away: stop the upstream's work too, and free its socket.
      if (clientGone) current?.destroy();
      let extra: Record<string, unknown> | undefined;
      if (clientGone) extra = { clientGone: true };
      else if (upstreamBroke !== undefined) extra = { upstreamBroke };
      // 499, as nginx logs it: the client left before any response was sent.
      const status = res.headersSent ? res.statusCode : 499;
      accessLog(req, { host: host.name, path, status, upstream, started }, requestId, extra);
    });

    const headers = upstreamRequestHeaders(req, host, requestId);
    // Node decodes a chunked body; re-chunk it explicitly, since Node would not frame the body of
    // a GET or DELETE by itself.
    if (req.headers["transfer-encoding"] !== undefined && headers["content-length"] === undefined) {
      headers["transfer-encoding"] = "chunked";
    }
    const hasBody =
      headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;

    const attempt = (target: string, retried: boolean): void => {
      const { proxyReq, timer } = upstreamRequest(
        target,
        { method: req.method, path, headers },
        agent,
        upstreamTimeoutMs,
      );
      current = proxyReq;
      let connected = false;
      let responded = false;

      proxyReq.once("socket", (socket: Socket) => {
        const start = () => {
          connected = true;
          // The body flows only once a connection exists, so a refused connection has consumed
          // none of it and the request can still be retried.
          if (hasBody) req.pipe(proxyReq);
          else proxyReq.end();
        };
        if (socket.connecting) socket.once("connect", start);
        else start();
      });

      proxyReq.once("response", (proxyRes) => {
        responded = true;
        clearTimeout(timer);
        if (clientGone) {
          proxyRes.destroy();
          return;
        }
        const out = endToEnd(proxyRes.headers);
        out["x-request-id"] ??= requestId;
        res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, out);
        // Headers now, not with the first body byte: event streams and long polls need them.
        res.flushHeaders();
        // Registered before pipeline() so it runs before the client's response is torn down.
        proxyRes.once("error", (err: NodeJS.ErrnoException) => {
          if (!clientGone && err.code !== "ERR_STREAM_PREMATURE_CLOSE")
            upstreamBroke = describe(err);
        });
        // A broken upstream response tears down the client's; a client that left stops the upstream's.
        pipeline(proxyRes, res, () => {});
      });

      proxyReq.on("error", (err) => {
        clearTimeout(timer);
        req.unpipe(proxyReq);
        if (responded || clientGone) return;
        const timedOut = err instanceof UpstreamTimeout;
        // A refused connection, or a pooled socket the upstream closed just as it was reused,
        // means the upstream never saw the request. It is resent only if no body byte was used up.
        const neverSeen = !timedOut && (!connected || proxyReq.reusedSocket);
        if (!retried && neverSeen && !req.readableDidRead) {
          const next = routes.get(host.name) ?? target;
          logger.debug(
            { host: host.name, upstream: target, retryOn: next, requestId, err: describe(err) },
            "retrying request",
          );
          traffic.move(upstream, next);
          upstream = next;
          attempt(next, true);
          return;
        }
        if (res.headersSent) {
          res.destroy();
          return;
        }
        send(res, upstreamFailure(host, target, err, upstreamTimeoutMs, requestId), requestId);
      });
    };

    attempt(upstream, false);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const started = performance.now();
    const host = parseHostHeader(req.headers.host);
    const path = pathOf(req);
    const requestId = requestIdOf(req);
    socket.on("error", () => socket.destroy());
    const upstream = routes.get(host.name);
    if (!upstream) {
      sendRaw(socket, unknownHostAnswer(req, host, routes.hosts(), requestId), requestId);
      accessLog(req, { host: host.name, path, status: 404, upstream: null, started }, requestId);
      return;
    }

    const headers = upstreamRequestHeaders(req, host, requestId);
    headers.connection = "upgrade";
    headers.upgrade = req.headers.upgrade;
    traffic.begin(upstream);
    let handshakeDone = false;
    const finishHandshake = (status: number, extra?: Record<string, unknown>) => {
      if (handshakeDone) return;
      handshakeDone = true;
      traffic.end(upstream);
      accessLog(req, { host: host.name, path, status, upstream, started }, requestId, extra);
    };

    // Its own connection, outside the pool: an upgraded socket never goes back to a pool.
    const { proxyReq, timer } = upstreamRequest(
      upstream,
      { method: req.method, path, headers },
      false,
      upstreamTimeoutMs,
    );
    socket.once("close", () => {
      if (handshakeDone) return;
      finishHandshake(499, { clientGone: true });
      clearTimeout(timer);
      proxyReq.destroy();
    });

    proxyReq.once("upgrade", (proxyRes, upstreamSocket, upstreamHead) => {
      clearTimeout(timer);
      finishHandshake(101);
      if (!socket.writable) {
        upstreamSocket.destroy();
        return;
      }
      traffic.openTunnel(upstream);
      tunnels.add(socket);
      upstreamSocket.setNoDelay(true);
      upstreamSocket.setTimeout(0);
      if (typeof (socket as Socket).setNoDelay === "function") (socket as Socket).setNoDelay(true);
      socket.write(
        rawHead(
          `HTTP/1.1 101 ${proxyRes.statusMessage || "Switching Protocols"}`,
          proxyRes.rawHeaders,
        ),
      );
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        tunnels.delete(socket);
        traffic.closeTunnel(upstream);
        socket.destroy();
        upstreamSocket.destroy();
      };
      upstreamSocket.on("error", close);
      upstreamSocket.on("close", close);
      socket.on("close", close);
      socket.pipe(upstreamSocket);
      upstreamSocket.pipe(socket);
    });

    // The upstream declined to switch protocols (404, 426...): relay its answer and close.
    proxyReq.once("response", (proxyRes) => {
      clearTimeout(timer);
      finishHandshake(proxyRes.statusCode ?? 502);
      if (!socket.writable) {
        proxyRes.destroy();
        return;
      }
      const out = endToEnd(proxyRes.headers);
      out.connection = "close";
      const rawHeaders: string[] = [];
      for (const [name, value] of Object.entries(out)) {
        for (const item of Array.isArray(value) ? value : [value])
          rawHeaders.push(name, String(item));
      }
      socket.write(
        rawHead(`HTTP/1.1 ${proxyRes.statusCode} ${proxyRes.statusMessage ?? ""}`, rawHeaders),
      );
      // With Connection: close the end of the stream delimits the body, whatever its framing was.
      pipeline(proxyRes, socket, () => socket.destroy());
    });

    proxyReq.on("error", (err) => {
      clearTimeout(timer);
      if (handshakeDone) return;
      const answer = upstreamFailure(host, upstream, err, upstreamTimeoutMs, requestId);
      finishHandshake(answer.status);
      sendRaw(socket, answer, requestId);
    });

    proxyReq.end();
  }

  return {
    request,
    upgrade,
    closeTunnels() {
      for (const socket of tunnels) socket.destroy();
    },
    close() {
      for (const socket of tunnels) socket.destroy();
      agent.destroy();
    },
  };
}

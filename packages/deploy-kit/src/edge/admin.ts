import { createHash, timingSafeEqual } from "node:crypto";
import {
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from "node:http";
import { performance } from "node:perf_hooks";
import { HttpError } from "@repo/server-kit/errors";
import type { Logger } from "@repo/server-kit/logger";
import {
  ADMIN_BODY_LIMIT,
  type DeleteRouteBody,
  type EdgeErrorBody,
  type HealthBody,
  type ProbeBody,
  type RoutesBody,
  type SetRouteBody,
  type StatsBody,
} from "./api.js";
import { checkHost, type RouteTable, type Traffic } from "./route-table.js";

export interface AdminOptions {
  /** The secret every admin request must present as `authorization: Bearer <token>`. */
  adminToken: string;
  routes: RouteTable;
  traffic: Traffic;
  logger: Logger;
  probeAllowed: (url: URL) => boolean;
}

/** Only loopback names: a rebinding DNS name that resolves to 127.0.0.1 still sends its own Host. */
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
const MAX_PROBE_TIMEOUT_MS = 60_000;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * True when the request carries the token. Both sides are hashed first, so the comparison takes
 * the same time whatever the length or content of the guess (timingSafeEqual needs equal lengths).
 */
function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization ?? "";
  const given = /^Bearer (\S+)$/.exec(header)?.[1] ?? "";
  // Still compared when absent, so a missing header costs what a wrong one does.
  return timingSafeEqual(sha256(given), expected) && given.length > 0;
}

function guard(req: IncomingMessage, expected: Buffer): void {
  const host = req.headers.host ?? "";
  if (!LOOPBACK_HOST.test(host)) {
    throw new HttpError(
      403,
      "forbidden_host",
      `The admin API answers only to Host 127.0.0.1, localhost or [::1] (got ${JSON.stringify(host)}).`,
    );
  }
  if (req.headers.origin !== undefined) {
    throw new HttpError(
      403,
      "forbidden_origin",
      "The admin API does not answer browsers: requests with an Origin header are refused.",
    );
  }
  // No detail: the answer must not help anyone guess. deploy-kit knows where its token is.
  if (!authorized(req, expected)) {
    throw new HttpError(401, "unauthorized", "Unauthorized.");
  }
}

/** Reads a JSON object body of at most ADMIN_BODY_LIMIT bytes. */
function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(?:;|$)/i.test(type)) {
    return Promise.reject(
      new HttpError(
        415,
        "unsupported_media_type",
        `Send a JSON body with content-type: application/json (got ${JSON.stringify(type || "no content-type")}).`,
      ),
    );
  }
  const tooLarge = () =>
    new HttpError(
      413,
      "payload_too_large",
      `The request body is larger than ${ADMIN_BODY_LIMIT / 1024} KiB.`,
    );
  if (Number(req.headers["content-length"] ?? 0) > ADMIN_BODY_LIMIT) {
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= ADMIN_BODY_LIMIT) {
        chunks.push(chunk);
        return;
      }
      // Keep draining without storing, so the 413 can still be written on this connection.
      req.off("data", onData);
      req.resume();
      reject(tooLarge());
    };
    req.on("data", onData);
    req.once("error", reject);
    req.once("end", () => {
      if (size > ADMIN_BODY_LIMIT) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        reject(new HttpError(400, "invalid_json", "The request body is not valid JSON."));
        return;
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        reject(new HttpError(400, "invalid_body", "The request body must be a JSON object."));
        return;
      }
      resolve(body as Record<string, unknown>);
    });
  });
}

/** Only `http:` URLs of a bare container name (one DNS label): the probe must not reach other hosts. */
export function isContainerUrl(url: URL): boolean {
  return (
    url.protocol === "http:" &&
    !url.username &&
    !url.password &&
    url.hostname !== "localhost" &&
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(url.hostname) &&
    // "1234" is parsed as an IPv4 address ("0.0.4.210"), so an all-digit label never gets here.
    !/^\d+$/.test(url.hostname)
  );
}

/**
 * One GET with `http.request`, not fetch: fetch refuses the "bad ports" of browsers (6000,
 * 6665-6669, 10080...), and an app listening on one of them is still a healthy app.
 */
function probe(url: URL, timeoutMs: number): Promise<ProbeBody> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    // Redirects are not followed: one could point the probe at a host it may not reach.
    const req = httpRequest(url, {
      method: "GET",
      agent: false,
      headers: { "user-agent": "deploy-kit-edge-probe", accept: "*/*" },
    });
    const timer = setTimeout(() => {
      resolve({ ok: false, ms: elapsed(), error: `no response within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.once("response", (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 400, status, ms: elapsed() });
      res.destroy();
    });
    req.once("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: elapsed(), error: err.message });
    });
    req.end();
  });
}

function parseProbe(
  body: Record<string, unknown>,
  allowed: (url: URL) => boolean,
): { url: URL; timeoutMs: number } {
  let url: URL | undefined;
  try {
    url = typeof body.url === "string" ? new URL(body.url) : undefined;
  } catch {
    url = undefined;
  }
  if (!url) {
    throw new HttpError(
      400,
      "invalid_url",
      `url ${JSON.stringify(body.url)} is not a URL: send the full URL, for example http://platform-api-3f2a9c1-k2j4:8080/healthz.`,
    );
  }
  if (!allowed(url)) {
    throw new HttpError(
      400,
      "probe_refused",
      `url ${JSON.stringify(body.url)} may not be probed: only http://<container name>:<port>/<path> on the edge's network.`,
    );
  }
  const timeoutMs = body.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (
    typeof timeoutMs !== "number" ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_PROBE_TIMEOUT_MS
  ) {
    throw new HttpError(
      400,
      "invalid_timeout",
      `timeoutMs ${JSON.stringify(body.timeoutMs)} is not allowed: use a whole number of milliseconds from 1 to ${MAX_PROBE_TIMEOUT_MS}.`,
    );
  }
  return { url, timeoutMs };
}

function methodNotAllowed(allow: string[]): HttpError {
  return new HttpError(405, "method_not_allowed", `Use ${allow.join(" or ")} here.`, {
    details: { allow },
  });
}

export function createAdmin(options: AdminOptions): RequestListener {
  const { routes, traffic, logger, probeAllowed } = options;
  if (options.adminToken.length < 32) {
    throw new Error(
      `The edge's admin token is ${options.adminToken.length} characters long: set EDGE_ADMIN_TOKEN to at least 32 random characters (deploy-kit does when it starts the edge).`,
    );
  }
  const expected = sha256(options.adminToken);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    guard(req, expected);
    const path = new URL(req.url ?? "/", "http://admin").pathname;
    const method = req.method ?? "GET";

    if (path === "/healthz") {
      if (method !== "GET") throw methodNotAllowed(["GET"]);
      sendJson(res, 200, { status: "ok" } satisfies HealthBody);
      return;
    }

    if (path === "/routes") {
      if (method === "GET") {
        sendJson(res, 200, { routes: routes.toJSON() } satisfies RoutesBody);
        return;
      }
      if (method === "PUT") {
        const body = await readJson(req);
        const table = body.routes;
        if (typeof table !== "object" || table === null || Array.isArray(table)) {
          throw new HttpError(
            400,
            "invalid_routes",
            `routes ${JSON.stringify(table)} is not an object of host to upstream, for example {"api.localhost": "http://platform-api-3f2a9c1-k2j4:8080"}.`,
          );
        }
        const next = routes.replace(table as Record<string, string>);
        logger.info({ routes: next }, "routes replaced");
        sendJson(res, 200, { routes: next } satisfies RoutesBody);
        return;
      }
      throw methodNotAllowed(["GET", "PUT"]);
    }

    if (path.startsWith("/routes/")) {
      let raw: string;
      try {
        raw = decodeURIComponent(path.slice("/routes/".length));
      } catch {
        raw = path.slice("/routes/".length);
      }
      const host = checkHost(raw);
      if (method === "GET") {
        const upstream = routes.get(host);
        if (!upstream) {
          throw new HttpError(404, "unknown_route", `No route for host ${host}.`);
        }
        sendJson(res, 200, { host, upstream });
        return;
      }
      if (method === "PUT") {
        const body = await readJson(req);
        const { upstream, previous } = routes.set(host, body.upstream as string);
        logger.info({ host, upstream, previous: previous ?? null }, "route set");
        sendJson(res, 200, { host, upstream, previous: previous ?? null } satisfies SetRouteBody);
        return;
      }
      if (method === "DELETE") {
        // Idempotent, so that tearing an app down twice is not an error.
        const previous = routes.delete(host) ?? null;
        logger.info({ host, previous }, "route deleted");
        sendJson(res, 200, { host, previous } satisfies DeleteRouteBody);
        return;
      }
      throw methodNotAllowed(["GET", "PUT", "DELETE"]);
    }

    if (path === "/stats") {
      if (method !== "GET") throw methodNotAllowed(["GET"]);
      sendJson(res, 200, { upstreams: traffic.toJSON() } satisfies StatsBody);
      return;
    }

    if (path === "/probe") {
      if (method !== "POST") throw methodNotAllowed(["POST"]);
      const { url, timeoutMs } = parseProbe(await readJson(req), probeAllowed);
      const result = await probe(url, timeoutMs);
      logger.debug({ url: url.href, ...result }, "probe");
      sendJson(res, 200, result);
      return;
    }

    throw new HttpError(404, "not_found", `No admin route for ${method} ${path}.`);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const error =
        err instanceof HttpError
          ? err
          : new HttpError(500, "internal_error", "The edge router failed on its side.", {
              cause: err,
            });
      if (error.status >= 500) logger.error({ err }, "admin request failed");
      else logger.warn({ method: req.method, url: req.url, code: error.code }, error.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error.status === 405) {
        res.setHeader("allow", (error.details as { allow: string[] }).allow.join(", "));
      }
      // Close instead of reading and discarding the rest of a body that was refused.
      if (error.status === 413 || error.status === 415) res.setHeader("connection", "close");
      sendJson(res, error.status, {
        code: error.code,
        message: error.message,
      } satisfies EdgeErrorBody);
    });
  };
}

import { randomUUID } from "node:crypto";
import type { ErrorRequestHandler, Express, RequestHandler } from "express";
import express, { Router } from "express";
import { pinoHttp } from "pino-http";
import { type ErrorBody, HttpError } from "./errors.js";
import type { Logger } from "./logger.js";

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** The answer of `/healthz` and `/readyz`; `serve()` turns it false when shutdown starts. */
export interface Readiness {
  ready: boolean;
}

/**
 * Request id and access log. An incoming `x-request-id` (from the load balancer, the edge router
 * or a calling service) is kept when it is well-formed, otherwise a new one is made; either way it
 * is returned in `x-request-id` and is on every log line of the request as `req.id`.
 */
/**
 * Headers whose values are credentials: the standard ones by name, and any whose name says
 * token, secret, session, signature, password or API key (x-auth-token, x-csrf-token, ...).
 * pino's `redact` matches exact paths only, so the serializer does this and `redact` stays as a
 * second net (logger.ts).
 */
export const SENSITIVE_HEADER =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-amz-security-token)$|token|secret|session|signature|password|api[-_]?key|credential/i;

/** Query parameters whose values are credentials (OAuth codes and tokens, presigned URLs). */
export const SENSITIVE_QUERY =
  /^(?:access_token|id_token|refresh_token|token|code|client_secret|api_?key|key|password|secret|sig|signature|x-amz-(?:signature|credential|security-token))$/i;

const REDACTED = "[redacted]";

/** The headers with the values of sensitive ones replaced. */
export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = SENSITIVE_HEADER.test(name) ? REDACTED : value;
  }
  return out;
}

/** The path and query with the values of sensitive query parameters replaced. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const at = url.indexOf("?");
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, " "));
      } catch {
        // A malformed escape: judge the name as written.
      }
      return eq >= 0 && SENSITIVE_QUERY.test(name) ? `${rawName}=${REDACTED}` : pair;
    })
    .join("&");
  return `${url.slice(0, at)}?${query}`;
}

export function requestContext(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const incoming = req.headers["x-request-id"];
      const id =
        typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader("x-request-id", id);
      return id;
    },
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return "error";
      if (res.statusCode >= 400) return "warn";
      return "info";
    },
    // Load balancer health checks every few seconds would drown the log.
    autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
    serializers: {
      req: (req) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: redactHeaders(req.headers),
      }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  });
}

/**
 * A new Express app with what every service of the platform sets first: no `x-powered-by`,
 * X-Forwarded-* trusted only from private addresses (the ALB, the local edge router), and
 * `requestContext` (request id, access log).
 */
export function serviceApp(logger: Logger): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback, linklocal, uniquelocal");
  app.use(requestContext(logger));
  return app;
}

/**
 * `GET /healthz` is what the load balancer checks (each app's `healthCheckPath`: the ALB's target
 * group, the local edge router's probes): 200 while the process takes new requests, 503 once
 * shutdown has started, so that the load balancer takes the task out while it still serves (the
 * drain, see lifecycle.ts). A liveness check that stayed 200 would keep a stopping task in the
 * target group until its listener closed. `GET /readyz` answers the same readiness, in its own
 * words, for callers that ask it.
 */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.setHeader("cache-control", "no-store");
    if (readiness.ready) res.json({ status: "ok" });
    else res.status(503).json({ status: "shutting_down" });
  });
  router.get("/readyz", (_req, res) => {
    res.setHeader("cache-control", "no-store");
    if (readiness.ready) res.json({ status: "ready" });
    else res.status(503).json({ status: "shutting_down" });
  });
  return router;
}

/** The last route: anything not matched is a JSON 404. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, "not_found", `No route for ${req.method} ${req.path}`));
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const parser = err as BodyParserError;
  switch (parser?.type) {
    case "entity.parse.failed":
      return new HttpError(400, "invalid_json", "The request body is not valid JSON.", {
        cause: err,
      });
    case "entity.too.large":
      return new HttpError(413, "payload_too_large", "The request body is too large.", {
        cause: err,
      });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new HttpError(415, "unsupported_encoding", parser.message, { cause: err });
    default:
      return new HttpError(500, "internal_error", "Something went wrong on our side.", {
        cause: err,
      });
  }
}

/**
 * The one error handler: every error becomes `{ code, message, requestId }` with its status.
 * Unexpected errors are logged with their stack and answered without it.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const error = toHttpError(err);
  if (error.status >= 500) req.log?.error({ err }, "request failed");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = { code: error.code, message: error.message, requestId: String(req.id) };
  if (error.details !== undefined) body.details = error.details;
  res.status(error.status).json(body);
};

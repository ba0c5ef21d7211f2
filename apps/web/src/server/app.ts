import { readFileSync } from "node:fs";
import path from "node:path";
import {
  errorHandler,
  healthRoutes,
  notFound,
  type Readiness,
  requestContext,
} from "@repo/server-kit/http";
import type { Logger } from "@repo/server-kit/logger";
import compression from "compression";
import express, { type Express } from "express";
import helmet from "helmet";
import type { Env } from "./env.js";
import { renderConfigScript } from "./runtime-config.js";

export interface AppDeps {
  env: Pick<Env, "API_URL" | "DEPLOY_ENV">;
  logger: Logger;
  readiness: Readiness;
  /** The folder `vite build` wrote: index.html and assets/. */
  staticDir: string;
}

const IMMUTABLE = "public, max-age=31536000, immutable";
const NEVER = "no-store";

/**
 * The production server of the web app: the built files, `/config.js` from the environment,
 * the SPA fallback, health routes. No listening here (see server.ts).
 */
export function createApp(deps: AppDeps): Express {
  const indexHtml = readFileSync(path.join(deps.staticDir, "index.html"));
  const configScript = renderConfigScript({
    apiUrl: deps.env.API_URL,
    environment: deps.env.DEPLOY_ENV,
  });
  const apiOrigin = new URL(deps.env.API_URL).origin;

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback, linklocal, uniquelocal");
  app.use(requestContext(deps.logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          "default-src": ["'self'"],
          "connect-src": ["'self'", apiOrigin],
          "img-src": ["'self'", "data:"],
          "frame-ancestors": ["'none'"],
          // Only where the platform is served over HTTPS; the local environment is plain HTTP.
          "upgrade-insecure-requests": apiOrigin.startsWith("https:") ? [] : null,
        },
      },
    }),
  );
  app.use(healthRoutes(deps.readiness));
  app.use(compression());

  app.get("/config.js", (_req, res) => {
    res.setHeader("content-type", "text/javascript; charset=utf-8");
    res.setHeader("cache-control", NEVER);
    res.send(configScript);
  });

  app.use(
    express.static(deps.staticDir, {
      index: false,
      setHeaders(res, filePath) {
        // Vite puts a content hash in every file name under assets/: they never change.
        const isHashed = filePath.startsWith(path.join(deps.staticDir, "assets") + path.sep);
        res.setHeader("cache-control", isHashed ? IMMUTABLE : "public, max-age=300");
      },
    }),
  );

  // SPA fallback: a page route (no file extension) gets index.html; a missing file gets a 404.
  app.get(/^[^.]*$/, (req, res, next) => {
    if (!req.accepts("html")) return next();
    res.setHeader("cache-control", NEVER);
    res.type("html").send(indexHtml);
  });

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

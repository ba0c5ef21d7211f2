import {
  errorHandler,
  healthRoutes,
  notFound,
  type Readiness,
  serviceApp,
} from "@repo/server-kit/http";
import type { Logger } from "@repo/server-kit/logger";
import { staticSite } from "@repo/server-kit/static-site";
import compression from "compression";
import type { Express } from "express";
import helmet from "helmet";
import type { Env } from "./env.js";
import { CONFIG_SCRIPT_HEADERS, renderConfigScript } from "./runtime-config.js";

export interface AppDeps {
  env: Pick<Env, "API_URL" | "DEPLOY_ENV">;
  logger: Logger;
  readiness: Readiness;
  /** The folder `vite build` wrote: index.html and assets/. */
  staticDir: string;
}

/**
 * The production server of the web app: the built files, `/config.js` from the environment,
 * the SPA fallback, health routes. No listening here (see server.ts).
 */
export function createApp(deps: AppDeps): Express {
  const configScript = renderConfigScript({
    apiUrl: deps.env.API_URL,
    environment: deps.env.DEPLOY_ENV,
  });
  const apiOrigin = new URL(deps.env.API_URL).origin;

  const app = serviceApp(deps.logger);
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
    res.set(CONFIG_SCRIPT_HEADERS).send(configScript);
  });

  // The built files, and index.html for every page route (server-kit's static-site).
  app.use(staticSite({ dir: deps.staticDir }));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

import {
  errorHandler,
  healthRoutes,
  notFound,
  type Readiness,
  serviceApp,
} from "@repo/server-kit/http";
import type { Logger } from "@repo/server-kit/logger";
import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import type { Env } from "./env.js";
import type { NotesStore } from "./notes.js";
import { v1Routes } from "./routes/v1.js";

export interface AppDeps {
  env: Pick<Env, "APP_VERSION" | "GIT_COMMIT" | "DEPLOY_ENV" | "CORS_ORIGINS">;
  logger: Logger;
  readiness: Readiness;
  notes: NotesStore;
  /** Seconds since the process started. @default process.uptime */
  uptimeSeconds?: () => number;
}

/** The api as an Express app: no listening, no signals (see server.ts), so tests call it directly. */
export function createApp(deps: AppDeps): Express {
  const allowed = new Set(deps.env.CORS_ORIGINS);
  const app = serviceApp(deps.logger);
  app.use(
    helmet({
      // JSON only: nothing here should ever render or be framed.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
    }),
  );
  // CORS for the configured origins only (the web app shows /healthz too); others get no CORS
  // headers, so browsers refuse to hand them the response.
  app.use(
    cors({
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ["GET", "POST"],
      allowedHeaders: ["content-type", "x-request-id"],
      exposedHeaders: ["x-request-id"],
      maxAge: 600,
    }),
  );
  app.use(healthRoutes(deps.readiness));
  app.use(
    "/v1",
    express.json({ limit: "16kb" }),
    v1Routes({
      release: {
        name: "api",
        version: deps.env.APP_VERSION,
        commit: deps.env.GIT_COMMIT,
        environment: deps.env.DEPLOY_ENV,
      },
      notes: deps.notes,
      uptimeSeconds: deps.uptimeSeconds ?? process.uptime,
    }),
  );
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

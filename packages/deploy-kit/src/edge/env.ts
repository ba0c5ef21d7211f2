import { baseEnvShape, loadEnv, port } from "@repo/server-kit/env";
import { z } from "zod";

/** Everything the edge router reads from its environment, validated once at start-up. */
export const edgeEnvShape = {
  EDGE_PORT: port(8080),
  ADMIN_PORT: port(9901),
  LOG_LEVEL: baseEnvShape.LOG_LEVEL,
  APP_VERSION: baseEnvShape.APP_VERSION,
  GIT_COMMIT: baseEnvShape.GIT_COMMIT,
  // Below `docker stop`'s default 10 s grace period, so the edge exits on its own, with code 0.
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(25_000)
    .default(8_000)
    .describe("milliseconds to let in-flight requests finish on SIGTERM, at most 25000"),
};

export type EdgeEnv = ReturnType<typeof readEdgeEnv>;

export function readEdgeEnv(source: Record<string, string | undefined> = process.env) {
  return loadEnv(edgeEnvShape, source);
}

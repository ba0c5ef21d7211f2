import { baseEnvShape, loadEnv, originList } from "@repo/server-kit/env";

/** Everything the api reads from its environment, validated once at start-up. */
export const envShape = {
  ...baseEnvShape,
  /** Browser origins allowed to call `/v1` (the web app's URL in each environment). */
  CORS_ORIGINS: originList,
};

export type Env = ReturnType<typeof readEnv>;

export function readEnv(source: Record<string, string | undefined> = process.env) {
  return loadEnv(envShape, source);
}

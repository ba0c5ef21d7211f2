import { baseEnvShape, httpUrl, loadEnv } from "@repo/server-kit/env";

/** Everything the web server reads from its environment, validated once at start-up. */
export const envShape = {
  ...baseEnvShape,
  /** Where the browser finds the api; given when the container starts, never baked into the build. */
  API_URL: httpUrl,
};

export type Env = ReturnType<typeof readEnv>;

export function readEnv(source: Record<string, string | undefined> = process.env) {
  return loadEnv(envShape, source);
}

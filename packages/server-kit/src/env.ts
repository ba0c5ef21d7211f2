import { z } from "zod";

/** Thrown when the environment does not validate; its message lists every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
  }
}

/** A TCP port. (`describe` comes last everywhere: a wrapper such as `.default()` loses it.) */
export const port = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(fallback)
    .describe(`a TCP port between 1 and 65535, for example ${fallback}`);

/**
 * Variables every service of the platform understands. The platform (deploy-kit locally, the ECS
 * task definition on AWS) sets the release metadata; nothing here is a secret.
 */
export const baseEnvShape = {
  NODE_ENV: z
    .enum(["development", "test", "production"])
    .default("production")
    .describe("one of development, test, production"),
  PORT: port(8080),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("one of fatal, error, warn, info, debug, trace, silent"),
  APP_VERSION: z
    .string()
    .min(1)
    .max(64)
    .default("0.0.0-dev")
    .describe("the release's version, for example 1.4.2"),
  GIT_COMMIT: z
    .string()
    .regex(/^[\w.-]{1,64}$/)
    .default("unknown")
    .describe("the git commit the image was built from, for example 3f2a9c1"),
  DEPLOY_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/)
    .default("development")
    .describe("the environment's name in lower case, for example local, staging or prod"),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(25_000)
    .default(10_000)
    .describe(
      "milliseconds to let in-flight requests finish on SIGTERM, at most 25000 (ECS stops tasks after 30 s)",
    ),
} as const;

/** A comma-separated list of absolute http(s) origins, such as `https://web.example.com`. */
export const originList = z
  .string()
  .default("")
  .transform((value, ctx) => {
    const origins = value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    for (const origin of origins) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        ctx.addIssue({ code: "custom", message: `"${origin}" is not an origin` });
        return z.NEVER;
      }
    }
    return origins;
  })
  .describe(
    "comma-separated origins with scheme and host and no path, for example https://web.example.com,http://localhost:5173",
  );

/** An absolute http(s) URL without a trailing slash. */
export const httpUrl = z
  .url({ protocol: /^https?$/ })
  .transform((value) => value.replace(/\/+$/, ""))
  .describe("an absolute http(s) URL, for example https://api.example.com");

function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  const text = String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/**
 * Validates `source` (normally `process.env`) against `shape` once, at start-up. Every problem is
 * reported at once, each naming the variable, its value and what to set instead.
 */
export function loadEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: Record<string, string | undefined>,
): z.infer<z.ZodObject<Shape>> {
  const schema = z.object(shape);
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0]);
    const field = shape[key] as z.ZodType | undefined;
    const hint = field?.description ? ` Set ${key} to ${field.description}.` : "";
    return `${key}=${show(source[key])}: ${issue.message}.${hint}`;
  });
  throw new ConfigError(`Invalid environment:\n  - ${problems.join("\n  - ")}`, problems);
}

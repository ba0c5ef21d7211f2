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
 * The longest a shutdown may take, drain and in-flight requests together: ECS kills a task 30 s
 * after SIGTERM (stopTimeout in packages/infra's app-service.ts), and closing and exiting need a
 * moment after the last request.
 */
export const SHUTDOWN_BUDGET_MS = 25_000;

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
    .max(SHUTDOWN_BUDGET_MS)
    .default(10_000)
    .describe(
      "milliseconds to let in-flight requests finish once the listener is closed, at most 25000 together with SHUTDOWN_DRAIN_MS (ECS stops tasks after 30 s)",
    ),
  /*
   * The drain: how long the server keeps serving after SIGTERM with /healthz answering 503, so
   * that the load balancer takes the task out before the listener closes. The arithmetic, with
   * the numbers of packages/infra (app-service.ts):
   *   - ECS sends SIGKILL 30 s (stopTimeout) after SIGTERM. Drain 15 s + in-flight requests 10 s
   *     (SHUTDOWN_TIMEOUT_MS) = 25 s, which leaves 5 s to close connections, flush logs, exit.
   *   - When ECS stops a task itself (a release, scale-in) it deregisters the target first and
   *     waits the 15 s deregistration delay before SIGTERM: the ALB has let go already.
   *   - A Fargate Spot interruption may send SIGTERM while the target is still registered
   *     (aws/containers-roadmap#2673). ECS deregisters the interrupted task too, and the ALB
   *     stops routing to it seconds later: 15 s covers that with room to spare. The ALB's own
   *     health check is the backstop: every 10 s, out after 3 failures, so 20 to 30 s after
   *     /healthz turns 503. That alone does not fit in 30 s with time left for in-flight
   *     requests; covering it needs a longer stopTimeout (Fargate allows 120 s) and
   *     SHUTDOWN_BUDGET_MS raised with it.
   * A second SIGTERM ends the drain early: ECS sends one when it stops the task after having
   * deregistered it, so the load balancer has let go by then.
   */
  SHUTDOWN_DRAIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(SHUTDOWN_BUDGET_MS)
    .default(15_000)
    .describe(
      "milliseconds to keep serving after SIGTERM while /healthz answers 503, so the load balancer takes the task out first: 0 to 25000 together with SHUTDOWN_TIMEOUT_MS (ECS stops tasks after 30 s), for example 15000",
    ),
  /*
   * Off by default: on AWS an idle target that is still registered has no connection open, and
   * the ALB opens one for the next request it routes there, up to 30 s later. The local
   * environment turns it on: its edge router closes its connections to a container as soon as it
   * routes the host elsewhere, so "no connection" there means "no longer routed".
   */
  SHUTDOWN_DRAIN_ENDS_WHEN_IDLE: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true")
    .describe(
      "true to end the drain as soon as no connection is open (where the load balancer closes its connections to a target it no longer routes to, as the local edge router does), else false",
    ),
} as const;

/** Checks across variables of `baseEnvShape`; each runs only when the shape has its variables. */
function shutdownBudget(
  data: Record<string, unknown>,
  source: Record<string, string | undefined>,
  ctx: z.RefinementCtx,
): void {
  const drain = data.SHUTDOWN_DRAIN_MS;
  const timeout = data.SHUTDOWN_TIMEOUT_MS;
  if (typeof drain !== "number" || typeof timeout !== "number") return;
  if (drain + timeout <= SHUTDOWN_BUDGET_MS) return;
  // Name the variable the operator set (the other one has its default).
  const blamed =
    source.SHUTDOWN_DRAIN_MS === undefined ? "SHUTDOWN_TIMEOUT_MS" : "SHUTDOWN_DRAIN_MS";
  const other = blamed === "SHUTDOWN_DRAIN_MS" ? "SHUTDOWN_TIMEOUT_MS" : "SHUTDOWN_DRAIN_MS";
  ctx.addIssue({
    code: "custom",
    path: [blamed],
    message: `with ${other}=${data[other]} a shutdown may take ${(drain + timeout) / 1000} s, more than the ${SHUTDOWN_BUDGET_MS / 1000} s that fit before ECS kills the task`,
  });
}

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

const SECRETS = new WeakSet<z.ZodType>();

/**
 * Marks a variable as a secret: `loadEnv` never prints its value, not even when it is invalid.
 * Wrap the outermost schema (after `.default()` and `.describe()`):
 *   DATABASE_URL: secret(z.string().min(1).describe("the database's URL"))
 */
export function secret<T extends z.ZodType>(schema: T): T {
  SECRETS.add(schema);
  return schema;
}

/**
 * Names that hold secrets by convention, whatever their schema says: the same words the platform
 * refuses in a manifest's plain `environment` (they belong in `secrets`).
 */
export const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE/i;

/**
 * The variables whose values must never be printed: the ones the platform injects from `secrets`
 * (it lists their names, never their values, in PLATFORM_SECRET_NAMES: the ECS task definition on
 * AWS, deploy-kit locally), the ones marked with `secret()`, and secret-looking names.
 */
export function isSecret(
  key: string,
  field: z.ZodType | undefined,
  source: Record<string, string | undefined>,
): boolean {
  const listed = (source.PLATFORM_SECRET_NAMES ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  return (
    listed.includes(key) || (field !== undefined && SECRETS.has(field)) || SECRET_NAME.test(key)
  );
}

/** What went wrong with a secret, in words that cannot contain its value (zod's message may). */
function secretProblem(issue: z.core.$ZodIssue, value: string | undefined): string {
  if (value === undefined) return "is required";
  switch (issue.code) {
    case "too_small":
      return "is too short";
    case "too_big":
      return "is too long";
    case "invalid_type":
      return "has the wrong type";
    case "invalid_format":
      return `is not a valid ${issue.format}`;
    case "invalid_value":
      return "is not one of the allowed values";
    default:
      return "is not valid";
  }
}

/**
 * Validates `source` (normally `process.env`) against `shape` once, at start-up. Every problem is
 * reported at once, each naming the variable, its value and what to set instead.
 */
export function loadEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: Record<string, string | undefined>,
): z.infer<z.ZodObject<Shape>> {
  const schema = z
    .object(shape)
    .superRefine((data, ctx) => shutdownBudget(data as Record<string, unknown>, source, ctx));
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0]);
    const field = shape[key] as z.ZodType | undefined;
    const hint = field?.description ? ` Set ${key} to ${field.description}.` : "";
    const value = source[key];
    if (isSecret(key, field, source)) {
      const shown = value === undefined ? "(unset)" : `(hidden, ${value.length} characters)`;
      return `${key}=${shown}: ${secretProblem(issue, value)}.${hint}`;
    }
    return `${key}=${show(value)}: ${issue.message}.${hint}`;
  });
  throw new ConfigError(`Invalid environment:\n  - ${problems.join("\n  - ")}`, problems);
}

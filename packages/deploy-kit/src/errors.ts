/** Exit codes, the contract with CI and scripts. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Wrong command line: exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = EXIT.usage;
}

/**
 * A step that failed for a reason the user can act on: exit 1 (or 2 for a config problem found
 * late). `hint` is the action; `details` are lines to show under the message (logs, reasons).
 */
export class DeployError extends Error {
  override name = "DeployError";
  readonly hint: string | undefined;
  readonly details: readonly string[];
  readonly exitCode: number;
  /** A stable word for callers that react to one kind of failure. */
  readonly code: string | undefined;
  constructor(
    message: string,
    options: {
      hint?: string;
      details?: readonly string[];
      exitCode?: number;
      code?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? EXIT.failed;
    this.code = options.code;
  }
}

/** A push of an image the engine does not have. */
export function noImageToPush(app: string, image: string): DeployError {
  return new DeployError(`There is no image ${image} to push.`, {
    hint: `Build it first: \`deploy-kit build ${app}\`.`,
  });
}

/** Ctrl-C or SIGTERM: exit 130, after saying what state things were left in. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  readonly exitCode = EXIT.interrupted;
}

/** Throws InterruptedError when the signal fired; call between steps that change things. */
export function checkAborted(signal: AbortSignal | undefined, state: string): void {
  if (signal?.aborted) throw new InterruptedError(`Interrupted: ${state}`);
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * An AWS SDK error that says nothing a user can act on, put in plain words: an endpoint that
 * cannot be reached, or that answers 404 (no AWS API answers its operations with 404, so the
 * endpoint is not the service it was taken for). Undefined for any other error. Read from the
 * error's shape only, so that the CLI's entry point needs no SDK to call it.
 */
export function explainAwsError(
  err: unknown,
  env: Record<string, string | undefined>,
): DeployError | undefined {
  const e = err as {
    code?: string;
    message?: string;
    cause?: { code?: string };
    $metadata?: { httpStatusCode?: number };
  };
  if (!e || typeof e !== "object") return undefined;
  const endpoints = Object.entries(env)
    .filter(([name, value]) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(name) && value)
    .map(([name, value]) => `${name}=${value}`);
  const where = endpoints.length
    ? `the endpoint set by ${endpoints.join(", ")}`
    : "AWS's public endpoint for the region";
  const fix = endpoints.length
    ? `Start the AWS-compatible service at that address, or unset ${endpoints.map((e) => e.split("=")[0]).join(" and ")} to reach AWS itself.`
    : "Check the network, proxy (HTTPS_PROXY) and AWS_REGION; set AWS_ENDPOINT_URL to use an AWS-compatible endpoint.";
  const code = e.code ?? e.cause?.code;
  if (code && UNREACHABLE.has(code)) {
    return new DeployError(`Cannot reach ${where}: ${e.message ?? code}.`, {
      hint: fix,
      cause: err,
    });
  }
  if (e.$metadata?.httpStatusCode === 404) {
    return new DeployError(
      `${where[0]?.toUpperCase()}${where.slice(1)} answered 404 Not Found: it does not serve this AWS API (${e.message || "no message"}).`,
      { hint: fix, cause: err },
    );
  }
  return undefined;
}

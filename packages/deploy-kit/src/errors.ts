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

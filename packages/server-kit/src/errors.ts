/**
 * An error that becomes a JSON response: `status` is the HTTP status, `code` a stable
 * machine-readable word clients can switch on, `message` a sentence for people.
 */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; details?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }
  readonly details: unknown;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
  requestId?: string;
  details?: unknown;
}

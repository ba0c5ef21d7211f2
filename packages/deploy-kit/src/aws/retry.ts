/** Errors AWS returns when a caller is too fast; worth waiting for, never worth failing on. */
const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestThrottledException",
  "ProvisionedThroughputExceededException",
]);

export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING.has(e?.name ?? "") || e?.$metadata?.httpStatusCode === 429;
}

export interface RetryOptions {
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `call` again after throttling, with full-jitter exponential backoff. The SDK retries too;
 * this layer keeps a long wait alive through a burst of throttling in a busy account.
 */
export async function withThrottlingRetry<T>(
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isThrottling(err) || attempt >= attempts) throw err;
      await sleep(Math.round(random() * Math.min(20_000, 1_000 * 2 ** attempt)));
    }
  }
}

/** The delay before the next poll: grows from `min` to `max`, with ±20 % jitter. */
export function nextDelay(
  previous: number,
  min: number,
  max: number,
  random: () => number = Math.random,
): number {
  const base = previous <= 0 ? min : Math.min(max, previous * 1.5);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** What `GET /v1/info` of the api answers. */
export interface ApiInfo {
  name: string;
  version: string;
  commit: string;
  environment: string;
  uptimeSeconds: number;
}

export interface ApiHealth {
  healthy: boolean;
  status: number;
  latencyMs: number;
}

export interface ApiStatus {
  info: ApiInfo;
  health: ApiHealth;
}

/** A failed call, worded for the page: what was called and what happened. */
export class ApiError extends Error {
  override name = "ApiError";
}

type Fetch = typeof fetch;

async function call(url: string, fetchImpl: Fetch, timeoutMs: number): Promise<Response> {
  try {
    return await fetchImpl(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason =
      err instanceof DOMException && err.name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000} s`
        : "the request failed (the api is down, or its CORS_ORIGINS does not include this page)";
    throw new ApiError(`Could not reach ${url}: ${reason}.`, { cause: err });
  }
}

/** Reads the api's info and health in parallel. */
export async function loadApiStatus(
  apiUrl: string,
  fetchImpl: Fetch = fetch,
  now: () => number = () => performance.now(),
  timeoutMs = 5_000,
): Promise<ApiStatus> {
  const started = now();
  const [infoRes, healthRes] = await Promise.all([
    call(`${apiUrl}/v1/info`, fetchImpl, timeoutMs),
    call(`${apiUrl}/healthz`, fetchImpl, timeoutMs),
  ]);
  const latencyMs = Math.round(now() - started);
  if (!infoRes.ok) {
    const body = (await infoRes.json().catch(() => undefined)) as { message?: string } | undefined;
    throw new ApiError(
      `${apiUrl}/v1/info answered ${infoRes.status}${body?.message ? `: ${body.message}` : ""}.`,
    );
  }
  const info = (await infoRes.json()) as ApiInfo;
  return { info, health: { healthy: healthRes.ok, status: healthRes.status, latencyMs } };
}

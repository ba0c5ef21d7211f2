/**
 * fetch with a timeout of our own. AbortSignal.timeout() is unref'd: a CLI with nothing else
 * pending would exit in the middle of the request instead of timing out.
 */
export async function fetchWithTimeout(
  url: string,
  init: RequestInit = {},
  timeoutMs = 5_000,
): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** Whether an OCI registry answers at `host[:port]` (any HTTP answer counts; 401 means it runs). */
export async function registryAnswers(registry: string, timeoutMs = 2_000): Promise<boolean> {
  for (const scheme of ["http", "https"]) {
    try {
      await fetchWithTimeout(`${scheme}://${registry}/v2/`, {}, timeoutMs);
      return true;
    } catch {
      // try the other scheme
    }
  }
  return false;
}

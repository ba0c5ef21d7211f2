/**
 * The container's health check (`HEALTHCHECK` in the Dockerfile, the ECS container health check):
 * distroless images have no shell or curl, so node itself asks the server. Exits 0 when
 * `GET /healthz` answers 200 within two seconds. A separate, tiny program: it reads only PORT, the
 * one variable it shares with the server, and does not load the server's config schema.
 * While a server drains after SIGTERM, /healthz answers 503 and this check fails. That is
 * harmless: ECS acts on an unhealthy container after 3 failures 10 s apart, and the shutdown
 * budget (25 s, SHUTDOWN_BUDGET_MS in env.ts) has ended the process by then; Docker only reports it.
 */
const port = process.env.PORT || "8080";
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
    signal: AbortSignal.timeout(2_000),
  });
  process.exitCode = res.status === 200 ? 0 : 1;
} catch {
  process.exitCode = 1;
}

import { useCallback, useEffect, useState } from "react";
import { type ApiStatus, loadApiStatus } from "./api.js";

type State =
  | { kind: "loading" }
  | { kind: "loaded"; status: ApiStatus; at: Date }
  | { kind: "failed"; message: string };

export interface AppProps {
  apiUrl: string;
  environment: string;
  load?: (apiUrl: string) => Promise<ApiStatus>;
}

function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function App({ apiUrl, environment, load = loadApiStatus }: AppProps) {
  const [state, setState] = useState<State>({ kind: "loading" });

  const refresh = useCallback(() => {
    setState({ kind: "loading" });
    load(apiUrl).then(
      (status) => setState({ kind: "loaded", status, at: new Date() }),
      (err: unknown) =>
        setState({ kind: "failed", message: err instanceof Error ? err.message : String(err) }),
    );
  }, [apiUrl, load]);

  useEffect(refresh, [refresh]);

  return (
    <main>
      <header>
        <h1>Platform template</h1>
        <p className="muted">
          web · environment <strong>{environment}</strong> · api at <code>{apiUrl}</code>
        </p>
      </header>

      <section aria-labelledby="api-title" aria-busy={state.kind === "loading"}>
        <h2 id="api-title">API</h2>
        {state.kind === "loading" && <p role="status">Loading…</p>}
        {state.kind === "failed" && (
          <div role="alert" className="error">
            <p>{state.message}</p>
          </div>
        )}
        {state.kind === "loaded" && (
          <>
            <p>
              <span
                data-testid="health"
                className={state.status.health.healthy ? "badge ok" : "badge bad"}
              >
                {state.status.health.healthy
                  ? "healthy"
                  : `unhealthy (${state.status.health.status})`}
              </span>{" "}
              <span className="muted">{state.status.health.latencyMs} ms</span>
            </p>
            <dl data-testid="api-info">
              <dt>Name</dt>
              <dd>{state.status.info.name}</dd>
              <dt>Version</dt>
              <dd>{state.status.info.version}</dd>
              <dt>Commit</dt>
              <dd>
                <code>{state.status.info.commit}</code>
              </dd>
              <dt>Environment</dt>
              <dd data-testid="api-environment">{state.status.info.environment}</dd>
              <dt>Uptime</dt>
              <dd>{formatUptime(state.status.info.uptimeSeconds)}</dd>
            </dl>
          </>
        )}
        <button type="button" onClick={refresh} disabled={state.kind === "loading"}>
          Refresh
        </button>
      </section>
    </main>
  );
}

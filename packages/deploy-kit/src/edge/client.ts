import {
  ADMIN_AUTHORIZATION,
  type DeleteRouteBody,
  type EdgeErrorBody,
  type HealthBody,
  type ProbeBody,
  type RouteMap,
  type RoutesBody,
  type SetRouteBody,
  type StatsBody,
  type UpstreamStats,
} from "./api.js";

/** A failed admin call. `status` and `code` are set when the edge answered. */
export class EdgeAdminError extends Error {
  override name = "EdgeAdminError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EdgeAdminClientOptions {
  /** The edge's admin token (its EDGE_ADMIN_TOKEN), sent as `authorization: Bearer <token>`. */
  token: string;
  /** Longest wait for any call except `probe`, which waits for its own timeout plus this. @default 10000 */
  timeoutMs?: number;
}

/** The deploy CLI's view of the edge router's admin API (`http://127.0.0.1:<admin port>`). */
export class EdgeAdminClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #token: string;

  constructor(baseUrl: string | URL, options: EdgeAdminClientOptions) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#token = options.token;
  }

  health(): Promise<HealthBody> {
    return this.#call<HealthBody>("GET", "/healthz");
  }

  async getRoutes(): Promise<RouteMap> {
    return (await this.#call<RoutesBody>("GET", "/routes")).routes;
  }

  /** Points `host` at `upstream`; requests already in flight finish against the previous one. */
  setRoute(host: string, upstream: string): Promise<SetRouteBody> {
    return this.#call<SetRouteBody>("PUT", `/routes/${encodeURIComponent(host)}`, { upstream });
  }

  /** Idempotent: deleting a host without a route answers `previous: null`. */
  deleteRoute(host: string): Promise<DeleteRouteBody> {
    return this.#call<DeleteRouteBody>("DELETE", `/routes/${encodeURIComponent(host)}`);
  }

  /** Replaces the whole table at once (after an edge restart); returns the table as stored. */
  async replaceRoutes(routes: RouteMap): Promise<RouteMap> {
    return (await this.#call<RoutesBody>("PUT", "/routes", { routes })).routes;
  }

  /** Counters per upstream origin. An upstream that never had a request is absent. */
  async stats(): Promise<Record<string, UpstreamStats>> {
    return (await this.#call<StatsBody>("GET", "/stats")).upstreams;
  }

  /** Requests in flight on one upstream; 0 for an upstream the edge has not seen. */
  async inFlight(upstream: string): Promise<number> {
    const key = new URL(upstream).origin;
    return (await this.stats())[key]?.inFlight ?? 0;
  }

  /** Asks the edge, which sits on the containers' network, to GET `url` (a container's health path). */
  probe(url: string, timeoutMs = 5_000): Promise<ProbeBody> {
    return this.#call<ProbeBody>("POST", "/probe", { url, timeoutMs }, timeoutMs + this.#timeoutMs);
  }

  async #call<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    const what = `${method} ${path}`;
    // A ref'd timer of our own: AbortSignal.timeout() is unref'd, and a CLI with nothing else
    // pending could exit in the middle of the request.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            [ADMIN_AUTHORIZATION]: `Bearer ${this.#token}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
      } catch (err) {
        if (controller.signal.aborted) {
          throw new EdgeAdminError(
            `The edge router's admin API at ${this.baseUrl} did not answer ${what} within ${timeoutMs} ms.`,
          );
        }
        const reason =
          err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
        throw new EdgeAdminError(
          `The edge router's admin API at ${this.baseUrl} is not reachable (${what}): ${reason}. Is the edge container running?`,
          undefined,
          undefined,
          { cause: err },
        );
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!res.ok) {
        const error = parsed as Partial<EdgeErrorBody> | undefined;
        const detail = error?.message ?? (text.slice(0, 200) || res.statusText);
        throw new EdgeAdminError(
          `The edge router refused ${what} (${res.status}${error?.code ? ` ${error.code}` : ""}): ${detail}`,
          res.status,
          error?.code,
        );
      }
      if (parsed === undefined) {
        throw new EdgeAdminError(
          `The edge router answered ${what} with a body that is not JSON: ${text.slice(0, 200)}`,
          res.status,
        );
      }
      return parsed as T;
    } catch (err) {
      if (err instanceof EdgeAdminError) throw err;
      // The body was cut off or timed out while it was read.
      throw new EdgeAdminError(
        controller.signal.aborted
          ? `The edge router's admin API at ${this.baseUrl} did not answer ${what} within ${timeoutMs} ms.`
          : `Reading the edge router's answer to ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        undefined,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

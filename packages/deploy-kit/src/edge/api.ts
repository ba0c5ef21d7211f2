/**
 * The edge router's admin API on the wire: shared by the server (`admin.ts`) and the CLI's client
 * (`client.ts`), so the two cannot drift. No runtime imports: the client stays light.
 */

/** Host (`api.localhost`) to upstream origin (`http://platform-api-3f2a9c1-k2j4:8080`). */
export type RouteMap = Record<string, string>;

/**
 * Every admin request must carry `authorization: Bearer <token>`, the edge's own secret that
 * deploy-kit generates when it starts the edge (EDGE_ADMIN_TOKEN in the edge's environment) and
 * reads back from `docker inspect` later. The app containers share the edge's network and can
 * reach the admin port, but not the token, so only deploy-kit can change routes. A browser page
 * cannot send the header cross-origin without a CORS preflight, which is never granted.
 */
export const ADMIN_AUTHORIZATION = "authorization";

/** The edge's environment variable that holds its admin token. */
export const ADMIN_TOKEN_ENV = "EDGE_ADMIN_TOKEN";

/** Shortest admin token the edge accepts (deploy-kit makes 43 characters: 32 random bytes). */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** Largest admin request body, in bytes. */
export const ADMIN_BODY_LIMIT = 64 * 1024;

export interface HealthBody {
  status: "ok";
}

export interface RoutesBody {
  routes: RouteMap;
}

export interface SetRouteBody {
  host: string;
  /** The upstream as stored: its origin, without a trailing slash. */
  upstream: string;
  /** The upstream the host pointed to before, or null when it was new. */
  previous: string | null;
}

export interface DeleteRouteBody {
  host: string;
  /** The upstream the host pointed to, or null when it had no route (deleting is idempotent). */
  previous: string | null;
}

export interface UpstreamStats {
  /** Requests routed to this upstream whose response has not finished and whose client is still there. */
  inFlight: number;
  /** Requests routed to this upstream since the edge started. */
  total: number;
  /** Open upgraded connections (WebSockets). Not part of `inFlight`: they can live for hours. */
  tunnels: number;
}

export interface StatsBody {
  /** Keyed by upstream origin; an upstream stays listed after its route is gone. */
  upstreams: Record<string, UpstreamStats>;
}

export interface ProbeRequest {
  url: string;
  /** @default 5000 */
  timeoutMs?: number;
}

export interface ProbeBody {
  /** True when the status is 200-399 (redirects are not followed). */
  ok: boolean;
  status?: number;
  /** Milliseconds until the response's headers arrived, or until the probe gave up. */
  ms: number;
  /** Why there is no status: connection refused, unknown host, timeout. */
  error?: string;
}

/** Body of every admin and proxy error response. */
export interface EdgeErrorBody {
  code: string;
  message: string;
  requestId?: string;
}

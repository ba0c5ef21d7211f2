import { HttpError } from "@repo/server-kit/errors";
import type { RouteMap, UpstreamStats } from "./api.js";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return JSON.stringify(text !== undefined && text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** Returns `value` when it is a hostname in lower case; throws a 400 naming `field` otherwise. */
export function checkHost(value: unknown, field = "host"): string {
  if (typeof value === "string" && value.length <= 253 && HOSTNAME.test(value)) return value;
  throw new HttpError(
    400,
    "invalid_host",
    `${field} ${show(value)} is not a hostname: use lower-case DNS labels (a-z, 0-9, -) separated by dots, for example api.localhost.`,
  );
}

/**
 * Returns the origin of `value` when it is an http URL with nothing after the port; throws a 400
 * naming `field` otherwise. Storing the origin keeps the keys of `/stats` equal to what
 * `/routes` shows, whichever spelling (trailing slash or not) the caller sent.
 */
export function checkUpstream(value: unknown, field = "upstream"): string {
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url &&
    url.protocol === "http:" &&
    !url.username &&
    !url.password &&
    url.pathname === "/" &&
    !url.search &&
    !url.hash
  ) {
    return url.origin;
  }
  throw new HttpError(
    400,
    "invalid_upstream",
    `${field} ${show(value)} is not an upstream: use http://<container>:<port> with no path, for example http://platform-api-3f2a9c1-k2j4:8080.`,
  );
}

/**
 * Host to upstream. A request reads its upstream once, when it is routed, so changing a route
 * affects only requests that start afterwards; those in flight finish where they began.
 */
export class RouteTable {
  #routes = new Map<string, string>();
  #listeners: Array<() => void> = [];

  get(host: string): string | undefined {
    return this.#routes.get(host);
  }

  /** Calls `listener` after every change of the table. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Every upstream some host routes to. */
  upstreams(): Set<string> {
    return new Set(this.#routes.values());
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Validates both and points `host` at `upstream`; returns the upstream it pointed to before. */
  set(host: string, upstream: string): { upstream: string; previous: string | undefined } {
    const name = checkHost(host);
    const origin = checkUpstream(upstream);
    const previous = this.#routes.get(name);
    this.#routes.set(name, origin);
    this.#changed();
    return { upstream: origin, previous };
  }

  /** Returns the upstream `host` pointed to, if any. */
  delete(host: string): string | undefined {
    const previous = this.#routes.get(host);
    this.#routes.delete(host);
    this.#changed();
    return previous;
  }

  /** Validates every entry, then swaps the whole table at once: all of it applies, or none. */
  replace(routes: RouteMap): RouteMap {
    const next = new Map<string, string>();
    for (const [host, upstream] of Object.entries(routes)) {
      next.set(checkHost(host, "routes key"), checkUpstream(upstream, `routes["${host}"]`));
    }
    this.#routes = next;
    this.#changed();
    return this.toJSON();
  }

  hosts(): string[] {
    return [...this.#routes.keys()].sort();
  }

  toJSON(): RouteMap {
    return Object.fromEntries(this.hosts().map((host) => [host, this.#routes.get(host) as string]));
  }
}

/** Per-upstream counters, what the CLI polls to know an old upstream has drained. */
export class Traffic {
  #upstreams = new Map<string, UpstreamStats>();

  #entry(upstream: string): UpstreamStats {
    let entry = this.#upstreams.get(upstream);
    if (!entry) {
      entry = { inFlight: 0, total: 0, tunnels: 0 };
      this.#upstreams.set(upstream, entry);
    }
    return entry;
  }

  begin(upstream: string): void {
    const entry = this.#entry(upstream);
    entry.inFlight++;
    entry.total++;
  }

  end(upstream: string): void {
    this.#entry(upstream).inFlight--;
  }

  /** Moves a request being retried to the upstream it is retried on, counting it once. */
  move(from: string, to: string): void {
    if (from === to) return;
    this.#entry(from).inFlight--;
    this.#entry(from).total--;
    this.begin(to);
  }

  openTunnel(upstream: string): void {
    this.#entry(upstream).tunnels++;
  }

  closeTunnel(upstream: string): void {
    this.#entry(upstream).tunnels--;
  }

  get(upstream: string): UpstreamStats {
    return { ...(this.#upstreams.get(upstream) ?? { inFlight: 0, total: 0, tunnels: 0 }) };
  }

  toJSON(): Record<string, UpstreamStats> {
    return Object.fromEntries([...this.#upstreams].map(([url, entry]) => [url, { ...entry }]));
  }
}

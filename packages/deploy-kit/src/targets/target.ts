import type { ResolvedApp } from "@repo/platform-config/resolve";

/** What to release: an app, its image and the revision it was built from. */
export interface ReleaseInput {
  app: ResolvedApp;
  image: string;
  commit: string;
  tag: string;
}

export interface ReleaseOptions {
  dryRun: boolean;
  /** false: return once the release has started (AWS: the service updated). @default true */
  wait?: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface ReleaseResult {
  app: string;
  url: string;
  image: string;
  commit: string;
  tag: string;
  /** The id of this release (local: the container's name). */
  release: string;
  /** The release that served before, if any. */
  previous?: string;
  /**
   * From the start of the release to the moment traffic went to the new release; absent when
   * the release was not waited for (`--no-wait`) or was a dry run.
   */
  secondsToTraffic?: number;
  /** false: started and not waited for (`--no-wait`); its outcome is not known yet. */
  waited?: false;
  seconds: number;
  dryRun?: boolean;
  /** AWS: the ECS deployment this release created. */
  deployment?: string;
  /** AWS: the immutable ECR tag that marks the image as released. */
  releaseTag?: string;
}

export interface AppStatus {
  app: string;
  url: string;
  /** "not released": the service exists (AWS) but no release has run in it yet. */
  state: "running" | "unhealthy" | "not released" | "not deployed";
  release?: string;
  image?: string;
  commit?: string;
  health?: string;
  since?: string;
  /** Earlier releases that rollback can go back to, newest first. */
  history: Array<{ release: string; commit: string; tag: string; image: string; created: string }>;
}

/**
 * An environment that runs releases: `local` (Docker on this machine, behind the edge router)
 * and, later, `aws` (ECS). Commands only talk to this.
 */
export interface Target {
  release(input: ReleaseInput, options: ReleaseOptions): Promise<ReleaseResult>;
  status(apps: ResolvedApp[]): Promise<AppStatus[]>;
  /** Picks the release to go back to: `to` (commit prefix or release id) or the one before. */
  rollbackTarget(app: ResolvedApp, to: string | undefined): Promise<ReleaseInput>;
}

/**
 * The one override of the base images that the Dockerfiles pin by digest.
 *
 * Each Dockerfile names every base image once, on a line Dependabot can update (it only reads
 * `FROM` lines, never `ARG` defaults):
 *
 *   ARG NODE_IMAGE=node-pinned
 *   FROM node:24-bookworm-slim@sha256:<index digest> AS node-pinned
 *   FROM ${NODE_IMAGE} AS build
 *
 * By default the build uses the pinned stage. A build argument replaces it with another reference:
 * - `BASE_IMAGE_PINS=off`: every such argument gets the pinned reference without its digest (the
 *   tag), for engines whose images answer to the public tags but not to the public digests (a
 *   registry mirror that rebuilds images, or the stand-ins of `../shared/ci/offline-docker.sh`);
 * - `DEPLOY_KIT_BASE_IMAGE_<ARG>=<ref>`: that argument gets `<ref>` (a mirror's copy).
 * BuildKit never resolves a stage nothing uses, so an overridden pin is never pulled.
 */

export interface BaseImagePin {
  /** The build argument that selects the stage, such as NODE_IMAGE. */
  arg: string;
  /** The stage holding the pin, the argument's default: node-pinned. */
  stage: string;
  /** node:24-bookworm-slim */
  ref: string;
  /** sha256:<64 hex> */
  digest: string;
}

const FROM_PINNED =
  /^FROM\s+(?:--platform=\S+\s+)?(\S+?)@(sha256:[0-9a-f]{64})\s+AS\s+([A-Za-z0-9_.-]+)\s*$/gim;
const ARG_DEFAULT = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$/gm;

/** The pinned stages of a Dockerfile and the argument that selects each one. */
export function basePins(dockerfile: string): BaseImagePin[] {
  const stages = new Map<string, { ref: string; digest: string }>();
  for (const match of dockerfile.matchAll(FROM_PINNED)) {
    stages.set((match[3] ?? "").toLowerCase(), { ref: match[1] ?? "", digest: match[2] ?? "" });
  }
  const pins: BaseImagePin[] = [];
  for (const match of dockerfile.matchAll(ARG_DEFAULT)) {
    const stage = (match[2] ?? "").toLowerCase();
    const pinned = stages.get(stage);
    if (pinned) pins.push({ arg: match[1] ?? "", stage, ...pinned });
  }
  return pins;
}

/** The environment variable that names a mirror's reference for `arg`. */
export const overrideVariable = (arg: string) => `DEPLOY_KIT_BASE_IMAGE_${arg}`;

/**
 * The `--build-arg`s that replace pinned base images, from the environment: `{}` by default
 * (the pins are used).
 */
export function baseImageArgs(
  dockerfile: string,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const unpinned = /^(off|false|0|no)$/i.test(env.BASE_IMAGE_PINS?.trim() ?? "");
  const args: Record<string, string> = {};
  for (const pin of basePins(dockerfile)) {
    const mirror = env[overrideVariable(pin.arg)]?.trim();
    if (mirror) args[pin.arg] = mirror;
    else if (unpinned) args[pin.arg] = pin.ref;
  }
  return args;
}

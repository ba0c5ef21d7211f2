import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  Tag,
  TaskDefinition,
} from "@aws-sdk/client-ecs";
import { DeployError } from "../errors.js";

/** What a release changes in the task definition, and nothing else. */
export interface ReleaseChange {
  /** The container to point at the new image (the app's container, named after the app). */
  container: string;
  /** The image pinned by digest: `<repository uri>@sha256:...`. */
  image: string;
  commit: string;
  version: string;
  /** deploy-kit's tag of the build, e.g. the commit's first 12 characters. */
  tag: string;
}

// Every field RegisterTaskDefinition accepts. What DescribeTaskDefinition returns besides these
// (arn, revision, status, requiresAttributes, compatibilities, registeredAt/By, ...) is AWS's own
// bookkeeping and may not be sent back.
const REGISTERABLE = [
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "containerDefinitions",
  "volumes",
  "placementConstraints",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "inferenceAccelerators",
  "ephemeralStorage",
  "runtimePlatform",
  "enableFaultInjection",
] as const satisfies ReadonlyArray<keyof RegisterTaskDefinitionCommandInput>;

/** Tag keys deploy-kit writes on the task definitions it registers: what `releases` lists. */
export const RELEASE_TAGS = {
  commit: "deploy-kit:commit",
  version: "deploy-kit:version",
  tag: "deploy-kit:tag",
  /** Added once the release's outcome is known: `succeeded` or `failed` (see aws/history.ts). */
  outcome: "deploy-kit:outcome",
} as const;

function setEnv(container: ContainerDefinition, name: string, value: string): ContainerDefinition {
  const environment = (container.environment ?? []).filter((entry) => entry.name !== name);
  environment.push({ name, value });
  environment.sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));
  return { ...container, environment };
}

/** A copy of what RegisterTaskDefinition takes back of `current`, without AWS's bookkeeping. */
export function registerableFields(current: TaskDefinition): RegisterTaskDefinitionCommandInput {
  const fields: Record<string, unknown> = {};
  for (const field of REGISTERABLE) {
    if (current[field] !== undefined) fields[field] = structuredClone(current[field]);
  }
  return fields as unknown as RegisterTaskDefinitionCommandInput;
}

/**
 * The next revision: the current task definition with the app container's image and the release
 * metadata (GIT_COMMIT, APP_VERSION, tags) changed; every other field is kept as it is, including
 * what someone changed by hand or through CDK.
 */
export function renderTaskDefinition(
  current: TaskDefinition,
  currentTags: Tag[],
  change: ReleaseChange,
): RegisterTaskDefinitionCommandInput {
  const containers = current.containerDefinitions ?? [];
  if (!containers.some((container) => container.name === change.container)) {
    throw new DeployError(
      `The task definition ${current.taskDefinitionArn} has no container named "${change.container}" (it has ${containers.map((c) => `"${c.name}"`).join(", ") || "none"}).`,
      {
        hint: "Deploy the app's service stack again with `cdk deploy` in packages/infra; it names the container after the app.",
      },
    );
  }
  const next = registerableFields(current);
  // registerableFields has copied the containers already.
  next.containerDefinitions = next.containerDefinitions?.map((container) => {
    if (container.name !== change.container) return container;
    const updated = setEnv({ ...container, image: change.image }, "GIT_COMMIT", change.commit);
    return setEnv(updated, "APP_VERSION", change.version);
  });
  const ours = new Set<string>(Object.values(RELEASE_TAGS));
  next.tags = [
    ...currentTags.filter((tag) => !ours.has(tag.key ?? "") && !(tag.key ?? "").startsWith("aws:")),
    { key: RELEASE_TAGS.commit, value: change.commit },
    { key: RELEASE_TAGS.version, value: change.version },
    { key: RELEASE_TAGS.tag, value: change.tag },
  ];
  return next;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const key =
        item && typeof item === "object" && "name" in item && typeof item.name === "string"
          ? `${prefix}[${item.name}]`
          : `${prefix}[${index}]`;
      flatten(item, key, out);
    });
  } else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value))
      flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
}

/** A line per changed leaf, `- path: old` / `+ path: new`, for --dry-run. */
export function diffTaskDefinitions(before: object, after: object): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, "", a);
  flatten(after, "", b);
  const lines: string[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(key) === b.get(key)) continue;
    if (a.has(key)) lines.push(`- ${key}: ${a.get(key)}`);
    if (b.has(key)) lines.push(`+ ${key}: ${b.get(key)}`);
  }
  return lines;
}

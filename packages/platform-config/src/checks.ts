// Checks that span several fields. They run inside appManifestSchema on the base values and
// again in load.ts and resolve.ts on each environment's merged values, so they live apart from
// both and produce zod custom issues that issues.ts turns into ConfigProblems.

interface Counts {
  minCount: number;
  desiredCount: number;
  maxCount: number;
}

/**
 * A problem as a zod custom issue; `params` carries the fix and the value to show. (A type, not
 * an interface: only type literals satisfy `ctx.addIssue`'s index signature.)
 */
export type CheckIssue = {
  code: "custom";
  path: string[];
  message: string;
  params: { fix: string; value?: unknown; hidden?: boolean };
};

/** The task counts of one environment: each count its override sets, else the base's. */
export function mergedCounts(base: Counts, override: Partial<Counts> | undefined): Counts {
  return {
    minCount: override?.minCount ?? base.minCount,
    desiredCount: override?.desiredCount ?? base.desiredCount,
    maxCount: override?.maxCount ?? base.maxCount,
  };
}

/**
 * Checks minCount <= desiredCount <= maxCount. Shared with load.ts, which runs it again on each
 * environment's merged counts; `prefix` places the issue under that environment's override.
 */
export function countProblems(counts: Counts, prefix: string[] = []): CheckIssue[] {
  const { minCount, desiredCount, maxCount } = counts;
  const problem = (field: keyof Counts, fix: string): CheckIssue[] => [
    {
      code: "custom",
      path: [...prefix, field],
      message: `needs minCount <= desiredCount <= maxCount, but minCount is ${minCount}, desiredCount ${desiredCount} and maxCount ${maxCount}`,
      params: { value: { minCount, desiredCount, maxCount }, fix },
    },
  ];
  if (minCount > maxCount) {
    return problem(
      "minCount",
      `lower minCount to at most ${maxCount} or raise maxCount to at least ${minCount}`,
    );
  }
  if (desiredCount < minCount || desiredCount > maxCount) {
    return problem(
      "desiredCount",
      `set desiredCount between ${minCount} and ${maxCount}, or move minCount/maxCount to include ${desiredCount}`,
    );
  }
  return [];
}

interface Placement {
  capacity: "fargate" | "fargate-spot" | "ec2";
  architecture: "x86_64" | "arm64";
}

/** Where an app's tasks run in one environment: each field its override sets, else the base's. */
export function mergedPlacement(
  base: Placement,
  override: Partial<Placement> | undefined,
): Placement {
  return {
    capacity: override?.capacity ?? base.capacity,
    architecture: override?.architecture ?? base.architecture,
  };
}

/** The field an override changed, to blame for a placement problem: capacity unless only architecture. */
export function placementField(override: Partial<Placement> | undefined): keyof Placement {
  return override?.capacity === undefined && override?.architecture !== undefined
    ? "architecture"
    : "capacity";
}

/**
 * Checks that the capacity runs the architecture: "Linux tasks with the ARM64 architecture don't
 * support the Fargate Spot capacity provider" (Amazon ECS Developer Guide, "AWS Fargate capacity
 * providers", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html).
 * Whether EC2 capacity matches is the infra's check: it knows the instance type's architecture.
 */
export function placementProblems(
  placement: Placement,
  prefix: string[] = [],
  field: keyof Placement = "capacity",
): CheckIssue[] {
  const { capacity, architecture } = placement;
  if (capacity !== "fargate-spot" || architecture !== "arm64") return [];
  return [
    {
      code: "custom",
      path: [...prefix, field],
      message:
        "puts arm64 tasks on Fargate Spot, which runs x86_64 Linux tasks only, so ECS would refuse the service",
      params: {
        value: { capacity, architecture },
        fix: 'set capacity to "fargate" (on-demand Fargate runs arm64), or set architecture to "x86_64" to keep Spot',
      },
    },
  ];
}

/** Names set in both maps: a name is either plain configuration or a secret, never both. */
export function overlappingNames(
  environment: Record<string, string>,
  secrets: Record<string, string>,
): string[] {
  return Object.keys(secrets).filter((name) => Object.hasOwn(environment, name));
}

/** The problem for a name in both maps; `path` points at the entry the user should remove. */
export function overlapProblem(name: string, path: string[]): CheckIssue {
  return {
    code: "custom",
    path,
    message: "is set in both environment and secrets",
    params: { fix: `remove ${name} from environment (keeping the secret) or from secrets` },
  };
}

import { closestSpelling } from "@repo/platform-config/spelling";

/**
 * EC2 instance types the synth-time capacity check knows: vCPUs, installed memory, and the memory
 * the instance registers with ECS, which is what task placement uses.
 *
 * How the registered figure is derived (an estimate, not a measurement):
 * - The ECS agent registers the memory the operating system reports (Docker's ReadMemInfo, i.e.
 *   MemTotal) minus ECS_RESERVED_MEMORY ("Reserving Amazon ECS Linux container instance memory",
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/memory-management.html). The
 *   agent's default reservation is 0 and the platform sets none, so the figure is MemTotal.
 * - MemTotal is below the installed memory because the kernel and firmware keep some. AWS
 *   publishes one example (m4.large: 8192 MiB installed, 8373026816 bytes = 7985 MiB registered,
 *   2.5 % less, on the older Amazon Linux ECS AMI); measurements on that AMI published for t2
 *   types show 3 to 3.5 % on small sizes (t2.micro 993 MiB of 1024, t2.medium 3952 of 4096).
 *   Current AMIs on Nitro instances (t3, m5 and later) keep somewhat more.
 * - So the table takes installed memory minus 5 %, and at least 80 MiB, rounded down: a t3.micro
 *   (1024 MiB) counts as 944 MiB. Erring low means the check may refuse a task that would just
 *   fit, never pass one that cannot place. To see the real figure of a running instance:
 *   `aws ecs describe-container-instances` → registeredResources MEMORY.
 * CPU registers exactly: 1024 units per vCPU.
 */
export interface InstanceType {
  vcpus: number;
  /** Installed memory in MiB, as EC2 advertises it. */
  memoryMiB: number;
  /** Graviton types run arm64 images only. */
  arch: "x86_64" | "arm64";
}

const GIB = 1024;

type Size = [size: string, vcpus: number, memoryGiB: number];

function sizes(
  family: string,
  arch: InstanceType["arch"],
  table: Size[],
): Array<[string, InstanceType]> {
  return table.map(([size, vcpus, memoryGiB]) => [
    `${family}.${size}`,
    { vcpus, memoryMiB: memoryGiB * GIB, arch },
  ]);
}

// Each kind of family keeps one shape across generations and architectures.
// Burstable: 2 vCPUs up to large, then 4 and 8.
const BURSTABLE: Size[] = [
  ["nano", 2, 0.5],
  ["micro", 2, 1],
  ["small", 2, 2],
  ["medium", 2, 4],
  ["large", 2, 8],
  ["xlarge", 4, 16],
  ["2xlarge", 8, 32],
];
// General purpose: 4 GiB per vCPU.
const GENERAL: Size[] = [
  ["large", 2, 8],
  ["xlarge", 4, 16],
  ["2xlarge", 8, 32],
];
// Compute optimized: 2 GiB per vCPU.
const COMPUTE: Size[] = [
  ["large", 2, 4],
  ["xlarge", 4, 8],
];

/** Installed vCPUs and memory from the EC2 instance type pages (general purpose, compute, memory). */
export const INSTANCE_TYPES: ReadonlyMap<string, InstanceType> = new Map([
  ...sizes("t3", "x86_64", BURSTABLE),
  ...sizes("t3a", "x86_64", BURSTABLE),
  ...sizes("t4g", "arm64", BURSTABLE),
  ...sizes("m5", "x86_64", GENERAL),
  ...sizes("m6i", "x86_64", GENERAL),
  ...sizes("m7g", "arm64", GENERAL.slice(0, 2)),
  ...sizes("c5", "x86_64", COMPUTE),
  ...sizes("c6i", "x86_64", COMPUTE),
  ...sizes("r5", "x86_64", [
    ["large", 2, 16],
    ["xlarge", 4, 32],
  ]),
]);

/** Share of installed memory the kernel and firmware are assumed to keep (see above). */
const KERNEL_SHARE = 0.05;
const KERNEL_MIN_MIB = 80;

/** The memory an instance of this type registers with ECS, in MiB (an estimate, see above). */
export function registeredMemoryMiB(type: InstanceType): number {
  const kept = Math.max(KERNEL_MIN_MIB, Math.ceil(type.memoryMiB * KERNEL_SHARE));
  return type.memoryMiB - kept;
}

/** The CPU units an instance of this type registers with ECS. */
export function registeredCpuUnits(type: InstanceType): number {
  return type.vcpus * 1024;
}

/**
 * The CPU architecture of an instance type: the table's, else read from the name. Graviton
 * families carry a "g" right after their generation (t4g, m7g, c7gn, r8g), and a1 was the first;
 * every other family this platform may use is x86_64. The cluster picks the ECS-optimized AMI by
 * this, and an app's tasks must be built for it.
 */
export function instanceArchitecture(instanceType: string): InstanceType["arch"] {
  const known = INSTANCE_TYPES.get(instanceType);
  if (known) return known.arch;
  return /^(?:a1|[a-z]+\d+g[a-z]*)\./.test(instanceType) ? "arm64" : "x86_64";
}

/** The known type closest in spelling to `name`, for "did you mean" hints. */
export function closestInstanceType(name: string): string | undefined {
  return closestSpelling(name, INSTANCE_TYPES.keys(), 2);
}

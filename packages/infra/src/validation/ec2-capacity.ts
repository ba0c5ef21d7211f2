import { PLATFORM_CONFIG_FILE } from "@repo/platform-config/load";
import {
  closestInstanceType,
  INSTANCE_TYPES,
  type InstanceType,
  instanceArchitecture,
  registeredCpuUnits,
  registeredMemoryMiB,
} from "./ec2-instances.js";
import { fail, manifestFile } from "./problem.js";

/** The deployment setting the check assumes: a rolling update may double the running tasks. */
export const MAXIMUM_PERCENT = 200;

/** What the checks need of an app on EC2 capacity (a ResolvedApp has all of it). */
export interface Ec2App {
  name: string;
  cpu: number;
  memory: number;
  desiredCount: number;
  maxCount: number;
  architecture: "x86_64" | "arm64";
}

export interface Ec2FitInput {
  app: Ec2App;
  environment: string;
  /** The capacity provider's instance type, for example "t3.micro". */
  instanceType: string;
  /** The most instances the Auto Scaling group may run. */
  maxInstances: number;
}

/** Something the check could not verify, for a synth warning. */
export interface Ec2FitWarning {
  id: string;
  message: string;
}

/**
 * The most tasks an app runs at once: a rolling update starts its new tasks beside the old ones
 * (maximumPercent 200) from desiredCount, and autoscaling may run up to maxCount. A release while
 * autoscaling runs more than desiredCount asks for more room than this, for the few minutes of
 * the update; the check sizes for the app's settings, not for every coincidence.
 */
export function peakTasks(app: Pick<Ec2App, "desiredCount" | "maxCount">): number {
  return Math.max(Math.ceil((app.desiredCount * MAXIMUM_PERCENT) / 100), app.maxCount);
}

/**
 * Checks at synth time that one app's tasks place on the environment's EC2 capacity: its image's
 * architecture is the instances', one task fits what an instance registers with ECS, and the
 * app's own peak (peakTasks) fits within maxInstances. Throws a ConfigError naming the numbers
 * and the settings to change. Other apps on the same capacity are checkEc2Capacity's part.
 *
 * @returns warnings for what could not be checked (an instance type the table does not know)
 */
export function checkEc2Fit(input: Ec2FitInput): Ec2FitWarning[] {
  const { app, environment, instanceType, maxInstances } = input;
  const setting = `environments.${environment}.ec2.instanceType`;
  checkArchitecture(input);
  const type = INSTANCE_TYPES.get(instanceType);
  if (!type) {
    const closest = closestInstanceType(instanceType);
    return [
      {
        id: "@repo/infra:unknownInstanceType",
        message:
          `${PLATFORM_CONFIG_FILE}: ${setting} = "${instanceType}" is not in the infra's instance table, so whether app "${app.name}" (cpu ${app.cpu}, memory ${app.memory} MiB) fits was not checked.` +
          (closest ? ` Did you mean "${closest}"?` : "") +
          ` Known types: ${[...INSTANCE_TYPES.keys()].join(", ")}. To check it, add the type to packages/infra/src/validation/ec2-instances.ts.`,
      },
    ];
  }

  const file = manifestFile(app.name);
  const memory = registeredMemoryMiB(type);
  const cpu = registeredCpuUnits(type);
  const bigger = biggerType(instanceType, type, app);
  const biggerHint = bigger ? ` (for example "${bigger}")` : "";
  const instanceFix = `set ${setting} in ${PLATFORM_CONFIG_FILE} to a bigger type${biggerHint}`;
  if (app.memory > memory) {
    fail({
      file,
      field: "memory",
      value: app.memory,
      message: `is more than a ${instanceType} offers in environment ${environment}: it registers about ${memory} MiB with ECS (${type.memoryMiB} MiB installed, less what the kernel keeps), so the task would never place`,
      fix: `set memory to ${memory} or less, or ${instanceFix}`,
    });
  }
  if (app.cpu > cpu) {
    fail({
      file,
      field: "cpu",
      value: app.cpu,
      message: `is more than a ${instanceType} offers in environment ${environment}: it registers ${cpu} CPU units (${type.vcpus} vCPUs), so the task would never place`,
      fix: `set cpu to ${cpu} or less, or ${instanceFix}`,
    });
  }

  const byMemory = Math.floor(memory / app.memory);
  const byCpu = Math.floor(cpu / app.cpu);
  const perInstance = Math.min(byMemory, byCpu);
  const duringUpdate = Math.ceil((app.desiredCount * MAXIMUM_PERCENT) / 100);
  const needed = peakTasks(app);
  const instancesNeeded = Math.ceil(needed / perInstance);
  if (instancesNeeded <= maxInstances) return [];

  const why =
    duringUpdate >= app.maxCount
      ? `a rolling update starts ${app.desiredCount} new task(s) beside the ${app.desiredCount} running (maximumPercent ${MAXIMUM_PERCENT}), ${needed} in all`
      : `autoscaling may run maxCount ${app.maxCount} tasks`;
  const limit =
    byMemory <= byCpu
      ? `${perInstance} task(s) of ${app.memory} MiB (it registers about ${memory} MiB)`
      : `${perInstance} task(s) of ${app.cpu} CPU units (it registers ${cpu})`;
  const tasksPerInstance = Math.ceil(needed / maxInstances);
  const smaller =
    byMemory <= byCpu
      ? `memory to ${Math.floor(memory / tasksPerInstance)} MiB or less`
      : `cpu to ${Math.floor(cpu / tasksPerInstance)} or less`;
  fail({
    file,
    field: duringUpdate >= app.maxCount ? "desiredCount" : "maxCount",
    value: duringUpdate >= app.maxCount ? app.desiredCount : app.maxCount,
    message: `needs room for ${needed} tasks in environment ${environment}: ${why}; a ${instanceType} fits ${limit}, so that takes ${instancesNeeded} instances, but environments.${environment}.ec2.maxInstances is ${maxInstances}`,
    fix: `set environments.${environment}.ec2.maxInstances in ${PLATFORM_CONFIG_FILE} to ${instancesNeeded} or more, ${instanceFix}, or set ${smaller} in ${file}`,
  });
}

/**
 * An image runs only on the CPU architecture it was built for: an x86_64 task on a Graviton
 * instance (or the reverse) stops at once with "exec format error", and the instances run the
 * ECS-optimized AMI of their own architecture (see Cluster).
 */
function checkArchitecture(input: Ec2FitInput): void {
  const { app, environment, instanceType } = input;
  const instances = instanceArchitecture(instanceType);
  if (app.architecture === instances) return;
  const file = manifestFile(app.name);
  const other = sameSizeOfArchitecture(instanceType, app.architecture);
  const typeFix = `set environments.${environment}.ec2.instanceType in ${PLATFORM_CONFIG_FILE} to an ${app.architecture} type${other ? ` such as "${other}"` : ""}`;
  fail({
    file,
    field: "architecture",
    value: app.architecture,
    message: `does not run on the EC2 capacity of environment ${environment}: its instance type ${instanceType} is ${instances}${instances === "arm64" ? " (AWS Graviton)" : ""}, so the app's ${app.architecture} tasks would stop with "exec format error"`,
    fix: `set "architecture": "${instances}" in ${file} (or under "environments": { "${environment}": ... } there) so the image is built for linux/${instances === "arm64" ? "arm64" : "amd64"}, ${typeFix}, or set capacity to "fargate"`,
  });
}

/** A known type of the same size and class for `architecture`: t3.micro -> t4g.micro, t4g.small -> t3.small. */
function sameSizeOfArchitecture(
  instanceType: string,
  architecture: InstanceType["arch"],
): string | undefined {
  const [family = "", size = ""] = instanceType.split(".");
  const candidates = [...INSTANCE_TYPES]
    .filter(([name, type]) => type.arch === architecture && name.endsWith(`.${size}`))
    .map(([name]) => name);
  return candidates.find((name) => name.charAt(0) === family.charAt(0));
}

export interface Ec2CapacityInput {
  /** Every app placed on the environment's EC2 capacity provider. */
  apps: Ec2App[];
  environment: string;
  instanceType: string;
  maxInstances: number;
}

/**
 * Checks at synth time that every app on the environment's EC2 capacity provider fits it at once:
 * each app at its peak (peakTasks), all apps together, because each app's pipeline releases on
 * its own and load comes to all of them together. Tasks are packed onto instances first-fit by
 * memory, within what each instance registers with ECS (memory and CPU), which is what placement
 * can do at best; then the count is held against maxInstances. Each app is first checked on its
 * own (checkEc2Fit), so a mismatched architecture or an oversized task is named as such.
 * Throws a ConfigError with the numbers and the ways out: more instances, less memory, or an app
 * moved to Fargate. An instance type the table does not know is not checked (checkEc2Fit warns).
 */
export function checkEc2Capacity(input: Ec2CapacityInput): void {
  const { apps, environment, instanceType, maxInstances } = input;
  for (const app of apps) checkEc2Fit({ app, environment, instanceType, maxInstances });
  const type = INSTANCE_TYPES.get(instanceType);
  if (!type || apps.length < 2) return;
  const capacity = { memory: registeredMemoryMiB(type), cpu: registeredCpuUnits(type) };
  const needed = instancesFor(apps, capacity);
  if (needed <= maxInstances) return;

  const peaks = apps.map((app) => {
    const tasks = peakTasks(app);
    const cause =
      tasks === app.maxCount && tasks > Math.ceil((app.desiredCount * MAXIMUM_PERCENT) / 100)
        ? `maxCount ${app.maxCount}`
        : `a rolling update from desiredCount ${app.desiredCount}`;
    return `${app.name} ${tasks} x (${app.memory} MiB, ${app.cpu} CPU units) for ${cause}`;
  });
  const total = apps.reduce((sum, app) => sum + peakTasks(app), 0);
  const ways = [
    `set environments.${environment}.ec2.maxInstances in ${PLATFORM_CONFIG_FILE} to ${needed} or more`,
  ];
  const memoryCap = largestFitting(apps, maxInstances, capacity, "memory");
  if (memoryCap !== undefined) {
    const files = apps.filter((app) => app.memory > memoryCap).map((app) => manifestFile(app.name));
    ways.push(`set memory to ${memoryCap} MiB or less in ${andList(files)}`);
  } else {
    const cpuCap = largestFitting(apps, maxInstances, capacity, "cpu");
    if (cpuCap !== undefined) {
      const files = apps.filter((app) => app.cpu > cpuCap).map((app) => manifestFile(app.name));
      ways.push(`set cpu to ${cpuCap} or less in ${andList(files)}`);
    }
  }
  const movable = apps.find(
    (app) =>
      instancesFor(
        apps.filter((other) => other !== app),
        capacity,
      ) <= maxInstances,
  );
  ways.push(
    movable
      ? `move ${movable.name} to Fargate with "capacity": "fargate" in ${manifestFile(movable.name)}`
      : `move apps to Fargate with "capacity": "fargate" in their deploy.json`,
  );
  fail({
    file: PLATFORM_CONFIG_FILE,
    field: `environments.${environment}.ec2.maxInstances`,
    value: maxInstances,
    message: `is too few for the ${apps.length} apps on EC2 capacity in environment ${environment}: at their peaks ${peaks.join(", ")}, ${total} tasks in all (every app may release or scale out at the same time), take ${needed} ${instanceType} instances, each registering about ${capacity.memory} MiB and ${capacity.cpu} CPU units with ECS`,
    fix: `${ways.slice(0, -1).join(", ")}, or ${ways.at(-1)}`,
  });
}

/** "a", "a and b", "a, b and c". */
function andList(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** How many instances of `capacity` the apps' peak tasks take, packed first-fit by memory. */
function instancesFor(
  apps: ReadonlyArray<Pick<Ec2App, "cpu" | "memory" | "desiredCount" | "maxCount">>,
  capacity: { memory: number; cpu: number },
): number {
  const tasks = apps
    .flatMap((app) => Array.from({ length: peakTasks(app) }, () => app))
    .sort((a, b) => b.memory - a.memory || b.cpu - a.cpu);
  const instances: Array<{ memory: number; cpu: number }> = [];
  for (const task of tasks) {
    const room = instances.find((free) => free.memory >= task.memory && free.cpu >= task.cpu);
    if (room) {
      room.memory -= task.memory;
      room.cpu -= task.cpu;
    } else {
      instances.push({ memory: capacity.memory - task.memory, cpu: capacity.cpu - task.cpu });
    }
  }
  return instances.length;
}

/**
 * The largest memory (MiB) or CPU (units) per task, at least ECS's minimum of 128 of either, that
 * fits every app's peak within `maxInstances` when each app is capped to it; undefined when none
 * does (the other dimension, or the task count, is what does not fit).
 */
function largestFitting(
  apps: readonly Ec2App[],
  maxInstances: number,
  capacity: { memory: number; cpu: number },
  dimension: "memory" | "cpu",
): number | undefined {
  const fits = (cap: number) =>
    instancesFor(
      apps.map((app) => ({ ...app, [dimension]: Math.min(app[dimension], cap) })),
      capacity,
    ) <= maxInstances;
  let low = 128;
  let high = Math.max(...apps.map((app) => app[dimension]));
  if (!fits(low)) return undefined;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** The smallest known type of the same family (else any of the same architecture) that fits two tasks. */
function biggerType(
  name: string,
  current: InstanceType,
  app: { cpu: number; memory: number },
): string | undefined {
  const family = name.split(".")[0];
  const fits = [...INSTANCE_TYPES]
    .filter(
      ([, type]) =>
        type.arch === current.arch &&
        registeredMemoryMiB(type) >= 2 * app.memory &&
        registeredCpuUnits(type) >= 2 * app.cpu,
    )
    .sort(([, a], [, b]) => a.memoryMiB - b.memoryMiB || a.vcpus - b.vcpus);
  return (fits.find(([type]) => type.split(".")[0] === family) ?? fits[0])?.[0];
}

import { PLATFORM_CONFIG_FILE } from "@repo/platform-config/load";
import {
  closestInstanceType,
  INSTANCE_TYPES,
  type InstanceType,
  registeredCpuUnits,
  registeredMemoryMiB,
} from "./ec2-instances.js";
import { fail, manifestFile } from "./problem.js";

/** The deployment setting the check assumes: a rolling update may double the running tasks. */
export const MAXIMUM_PERCENT = 200;

export interface Ec2FitInput {
  app: { name: string; cpu: number; memory: number; desiredCount: number; maxCount: number };
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
 * Checks at synth time that the app's tasks place on the environment's EC2 capacity: one task
 * fits what an instance registers with ECS, and a rolling update (maximumPercent 200, bridge
 * mode with dynamic host ports, so tasks share instances) finds room for the new tasks beside
 * the old ones within maxInstances. Throws a ConfigError naming the numbers and the settings to
 * change. Other apps on the same capacity are not counted: passing is necessary, not sufficient.
 *
 * @returns warnings for what could not be checked (an instance type the table does not know)
 */
export function checkEc2Fit(input: Ec2FitInput): Ec2FitWarning[] {
  const { app, environment, instanceType, maxInstances } = input;
  const setting = `environments.${environment}.ec2.instanceType`;
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
  const warnings: Ec2FitWarning[] = [];
  if (type.arch === "arm64") {
    warnings.push({
      id: "@repo/infra:arm64InstanceType",
      message: `${PLATFORM_CONFIG_FILE}: ${setting} = "${instanceType}" is a Graviton (arm64) type: app "${app.name}" must be built as a linux/arm64 image, or its tasks stop with "exec format error".`,
    });
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
  const needed = Math.max(duringUpdate, app.maxCount);
  const instancesNeeded = Math.ceil(needed / perInstance);
  if (instancesNeeded <= maxInstances) return warnings;

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

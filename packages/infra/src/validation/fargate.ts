import type { ConfigProblem } from "@repo/platform-config/errors";
import { fail, manifestFile, orList } from "./problem.js";

/**
 * The task sizes Fargate accepts: per CPU value (1024 = 1 vCPU) the memory values in MiB.
 * Source: "Troubleshoot Amazon ECS task definition invalid CPU or memory errors",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
 * (the same table as the Fargate task size section of
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html).
 * 8192 and 16384 need Linux platform version 1.4.0 or later, which LATEST is.
 */
export const FARGATE_SIZES: Readonly<Record<number, { memory: readonly number[]; text: string }>> =
  {
    256: { memory: [512, 1024, 2048], text: "512, 1024 or 2048 MiB" },
    512: { memory: range(1024, 4096, 1024), text: "1024 to 4096 MiB in steps of 1024" },
    1024: { memory: range(2048, 8192, 1024), text: "2048 to 8192 MiB in steps of 1024" },
    2048: { memory: range(4096, 16384, 1024), text: "4096 to 16384 MiB in steps of 1024" },
    4096: { memory: range(8192, 30720, 1024), text: "8192 to 30720 MiB in steps of 1024" },
    8192: { memory: range(16384, 61440, 4096), text: "16384 to 61440 MiB in steps of 4096" },
    16384: { memory: range(32768, 122880, 8192), text: "32768 to 122880 MiB in steps of 8192" },
  };

export const FARGATE_CPUS: readonly number[] = Object.keys(FARGATE_SIZES).map(Number);

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** Whether Fargate runs a task of `cpu` units and `memory` MiB. */
export function isFargateSize(cpu: number, memory: number): boolean {
  return FARGATE_SIZES[cpu]?.memory.includes(memory) ?? false;
}

/** The valid memory values nearest to `memory` for `cpu`: the one below and the one above. */
function nearestMemory(valid: readonly number[], memory: number): number[] {
  const below = valid.filter((value) => value < memory).at(-1);
  const above = valid.find((value) => value > memory);
  return [below, above].filter((value): value is number => value !== undefined);
}

export interface SizeContext {
  /** The app's name: its manifest is apps/<app>/deploy.json. */
  app: string;
  /** The environment being synthesized, named because an override there may set the value. */
  environment: string;
}

/** What is wrong with an app's Fargate size, or undefined when Fargate accepts it. */
export function fargateSizeProblem(
  size: { cpu: number; memory: number },
  where: SizeContext,
): ConfigProblem | undefined {
  const { cpu, memory } = size;
  if (isFargateSize(cpu, memory)) return undefined;
  const file = manifestFile(where.app);
  const cpusForMemory = FARGATE_CPUS.filter((value) => isFargateSize(value, memory));
  const allowed = FARGATE_SIZES[cpu];
  if (!allowed) {
    return {
      file,
      field: "cpu",
      value: cpu,
      message: `is not a Fargate CPU size in environment ${where.environment}: Fargate takes cpu ${orList(FARGATE_CPUS)} (1024 = 1 vCPU)`,
      fix:
        cpusForMemory.length > 0
          ? `set cpu to ${orList(cpusForMemory)}, which run memory ${memory}`
          : `set cpu to one of ${orList(FARGATE_CPUS)} and memory to a size it takes, for example cpu 256 with memory 512`,
    };
  }
  const memoryFix = `set memory to ${orList(nearestMemory(allowed.memory, memory))}`;
  return {
    file,
    field: "memory",
    value: memory,
    message: `with cpu ${cpu} is not a Fargate size in environment ${where.environment}: with cpu ${cpu}, memory must be ${allowed.text}`,
    fix: cpusForMemory.length > 0 ? `${memoryFix}, or cpu to ${orList(cpusForMemory)}` : memoryFix,
  };
}

/** Throws a ConfigError naming the app, the values and the fix when Fargate cannot run the size. */
export function checkFargateSize(size: { cpu: number; memory: number }, where: SizeContext): void {
  const problem = fargateSizeProblem(size, where);
  if (problem) fail(problem);
}

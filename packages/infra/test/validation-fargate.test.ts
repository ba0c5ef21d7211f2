import { ConfigError } from "@repo/platform-config/errors";
import { describe, expect, test } from "vitest";
import {
  checkFargateSize,
  FARGATE_CPUS,
  FARGATE_SIZES,
  fargateSizeProblem,
  isFargateSize,
} from "../src/validation/fargate.js";

const where = { app: "api", environment: "staging" };

describe("Fargate sizes", () => {
  test("the table is AWS's: 7 CPU sizes, 3 to 27 memory sizes each, 1 GiB or more apart", () => {
    // GIVEN / WHEN / THEN (the table's shape, to catch an edit that breaks a range)
    expect(FARGATE_CPUS).toEqual([256, 512, 1024, 2048, 4096, 8192, 16384]);
    expect(FARGATE_SIZES[256]?.memory).toEqual([512, 1024, 2048]);
    expect(FARGATE_SIZES[512]?.memory).toEqual([1024, 2048, 3072, 4096]);
    expect(FARGATE_SIZES[1024]?.memory).toHaveLength(7);
    expect(FARGATE_SIZES[2048]?.memory).toHaveLength(13);
    expect(FARGATE_SIZES[4096]?.memory).toHaveLength(23);
    expect(FARGATE_SIZES[8192]?.memory).toHaveLength(12);
    expect(FARGATE_SIZES[16384]?.memory).toHaveLength(12);
  });

  test.each([
    [256, 512],
    [256, 2048],
    [512, 3072],
    [1024, 8192],
    [2048, 16384],
    [4096, 30720],
    [8192, 20480],
    [16384, 122880],
  ])("cpu %i with memory %i is accepted", (cpu, memory) => {
    expect(isFargateSize(cpu, memory)).toBe(true);
    expect(() => checkFargateSize({ cpu, memory }, where)).not.toThrow();
  });

  test.each([
    [
      256,
      3072,
      "apps/api/deploy.json: memory = 3072: with cpu 256 is not a Fargate size in environment staging: with cpu 256, memory must be 512, 1024 or 2048 MiB. Fix: set memory to 2048, or cpu to 512 or 1024",
    ],
    [
      512,
      1536,
      "apps/api/deploy.json: memory = 1536: with cpu 512 is not a Fargate size in environment staging: with cpu 512, memory must be 1024 to 4096 MiB in steps of 1024. Fix: set memory to 1024 or 2048",
    ],
    [
      1024,
      16384,
      "apps/api/deploy.json: memory = 16384: with cpu 1024 is not a Fargate size in environment staging: with cpu 1024, memory must be 2048 to 8192 MiB in steps of 1024. Fix: set memory to 8192, or cpu to 2048, 4096 or 8192",
    ],
    [
      8192,
      18432,
      "apps/api/deploy.json: memory = 18432: with cpu 8192 is not a Fargate size in environment staging: with cpu 8192, memory must be 16384 to 61440 MiB in steps of 4096. Fix: set memory to 16384 or 20480, or cpu to 4096",
    ],
    [
      2048,
      1024,
      "apps/api/deploy.json: memory = 1024: with cpu 2048 is not a Fargate size in environment staging: with cpu 2048, memory must be 4096 to 16384 MiB in steps of 1024. Fix: set memory to 4096, or cpu to 256 or 512",
    ],
    [
      300,
      512,
      "apps/api/deploy.json: cpu = 300: is not a Fargate CPU size in environment staging: Fargate takes cpu 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 = 1 vCPU). Fix: set cpu to 256, which run memory 512",
    ],
    [
      128,
      700,
      "apps/api/deploy.json: cpu = 128: is not a Fargate CPU size in environment staging: Fargate takes cpu 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 = 1 vCPU). Fix: set cpu to one of 256, 512, 1024, 2048, 4096, 8192 or 16384 and memory to a size it takes, for example cpu 256 with memory 512",
    ],
  ])("cpu %i with memory %i is refused with the fix", (cpu, memory, message) => {
    // GIVEN a size Fargate does not offer WHEN checked
    let error: unknown;
    try {
      checkFargateSize({ cpu, memory }, where);
    } catch (caught) {
      error = caught;
    }
    // THEN a ConfigError names the file, the value, the rule and the fix
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(message);
  });

  test("the problem is structured for tools: file, field and value", () => {
    expect(fargateSizeProblem({ cpu: 256, memory: 3072 }, where)).toMatchObject({
      file: "apps/api/deploy.json",
      field: "memory",
      value: 3072,
    });
    expect(fargateSizeProblem({ cpu: 256, memory: 512 }, where)).toBeUndefined();
  });
});

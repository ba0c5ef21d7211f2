import { ConfigError } from "@repo/platform-config/errors";
import { describe, expect, test } from "vitest";
import { checkEc2Fit, type Ec2FitInput } from "../src/validation/ec2-capacity.js";
import {
  closestInstanceType,
  INSTANCE_TYPES,
  registeredCpuUnits,
  registeredMemoryMiB,
} from "../src/validation/ec2-instances.js";

function input(
  app: Partial<Ec2FitInput["app"]> = {},
  rest: Partial<Ec2FitInput> = {},
): Ec2FitInput {
  return {
    app: { name: "api", cpu: 256, memory: 400, desiredCount: 1, maxCount: 2, ...app },
    environment: "staging",
    instanceType: "t3.micro",
    maxInstances: 2,
    ...rest,
  };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("the instance table", () => {
  test("knows the families the template suggests", () => {
    for (const family of ["t3", "t3a", "t4g"]) {
      for (const size of ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"]) {
        expect(INSTANCE_TYPES.has(`${family}.${size}`)).toBe(true);
      }
    }
    for (const type of ["m5.large", "m5.xlarge", "m6i.large", "m6i.xlarge", "m7g.large"]) {
      expect(INSTANCE_TYPES.has(type)).toBe(true);
    }
    for (const type of ["c5.large", "c6i.large", "r5.large"]) {
      expect(INSTANCE_TYPES.has(type)).toBe(true);
    }
  });

  test.each([
    ["t3.nano", 512, 432],
    ["t3.micro", 1024, 944],
    ["t3.small", 2048, 1945],
    ["t3.medium", 4096, 3891],
    ["m5.large", 8192, 7782],
    ["r5.large", 16384, 15564],
  ])("a %s (%i MiB installed) counts as registering %i MiB", (name, installed, registered) => {
    const type = INSTANCE_TYPES.get(name);
    expect(type?.memoryMiB).toBe(installed);
    expect(type && registeredMemoryMiB(type)).toBe(registered);
  });

  test("CPU registers 1024 units per vCPU, and Graviton types are arm64", () => {
    const t3 = INSTANCE_TYPES.get("t3.xlarge");
    expect(t3 && registeredCpuUnits(t3)).toBe(4096);
    expect(INSTANCE_TYPES.get("t4g.micro")?.arch).toBe("arm64");
    expect(INSTANCE_TYPES.get("m7g.large")?.arch).toBe("arm64");
    expect(INSTANCE_TYPES.get("c6i.large")?.arch).toBe("x86_64");
  });

  test("suggests the closest known type for a typo, and nothing for a stranger", () => {
    expect(closestInstanceType("t3.mirco")).toBe("t3.micro");
    expect(closestInstanceType("t3a.smal")).toBe("t3a.small");
    expect(closestInstanceType("p5.48xlarge")).toBeUndefined();
  });
});

describe("checkEc2Fit", () => {
  test("passes an app whose tasks and rolling update fit", () => {
    // GIVEN 400 MiB tasks, 2 per t3.micro WHEN checked THEN no error, no warning
    expect(checkEc2Fit(input())).toEqual([]);
    expect(checkEc2Fit(input({ memory: 256, desiredCount: 1, maxCount: 6 }))).toEqual([]);
  });

  test("refuses a task with more memory than the instance registers", () => {
    const error = errorOf(() => checkEc2Fit(input({ memory: 1024 })));
    expect(error.message).toBe(
      'apps/api/deploy.json: memory = 1024: is more than a t3.micro offers in environment staging: it registers about 944 MiB with ECS (1024 MiB installed, less what the kernel keeps), so the task would never place. Fix: set memory to 944 or less, or set environments.staging.ec2.instanceType in platform.config.json to a bigger type (for example "t3.medium")',
    );
  });

  test("refuses a task with more CPU than the instance registers", () => {
    const error = errorOf(() => checkEc2Fit(input({ cpu: 4096, memory: 256 })));
    expect(error.message).toBe(
      'apps/api/deploy.json: cpu = 4096: is more than a t3.micro offers in environment staging: it registers 2048 CPU units (2 vCPUs), so the task would never place. Fix: set cpu to 2048 or less, or set environments.staging.ec2.instanceType in platform.config.json to a bigger type (for example "t3.2xlarge")',
    );
  });

  test("refuses a rolling update that cannot place the new tasks beside the old", () => {
    // GIVEN 512 MiB tasks: one per t3.micro; 2 desired means 4 during an update, in 2 instances
    const error = errorOf(() => checkEc2Fit(input({ memory: 512, desiredCount: 2, maxCount: 4 })));
    // THEN the numbers and all three ways out
    expect(error.problems[0]).toMatchObject({ field: "desiredCount", value: 2 });
    expect(error.message).toBe(
      'apps/api/deploy.json: desiredCount = 2: needs room for 4 tasks in environment staging: a rolling update starts 2 new task(s) beside the 2 running (maximumPercent 200), 4 in all; a t3.micro fits 1 task(s) of 512 MiB (it registers about 944 MiB), so that takes 4 instances, but environments.staging.ec2.maxInstances is 2. Fix: set environments.staging.ec2.maxInstances in platform.config.json to 4 or more, set environments.staging.ec2.instanceType in platform.config.json to a bigger type (for example "t3.small"), or set memory to 472 MiB or less in apps/api/deploy.json',
    );
  });

  test("refuses a maxCount autoscaling could not place", () => {
    // GIVEN 3 tasks of 256 MiB per t3.micro, 2 instances, maxCount 7
    const error = errorOf(() => checkEc2Fit(input({ memory: 256, desiredCount: 1, maxCount: 7 })));
    expect(error.problems[0]).toMatchObject({ field: "maxCount", value: 7 });
    expect(error.message).toContain(
      "needs room for 7 tasks in environment staging: autoscaling may run maxCount 7 tasks; a t3.micro fits 3 task(s) of 256 MiB",
    );
    expect(error.message).toContain(
      "takes 3 instances, but environments.staging.ec2.maxInstances is 2",
    );
  });

  test("names CPU when CPU, not memory, limits the tasks per instance", () => {
    const error = errorOf(() =>
      checkEc2Fit(
        input({ cpu: 1024, memory: 256, desiredCount: 2, maxCount: 2 }, { maxInstances: 1 }),
      ),
    );
    expect(error.message).toContain(
      "a t3.micro fits 2 task(s) of 1024 CPU units (it registers 2048)",
    );
    expect(error.message).toContain("or set cpu to 512 or less in apps/api/deploy.json");
  });

  test("warns, without failing, for an instance type the table does not know", () => {
    const warnings = checkEc2Fit(input({}, { instanceType: "t3.mirco" }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(
      /^platform\.config\.json: environments\.staging\.ec2\.instanceType = "t3\.mirco" is not in the infra's instance table, so whether app "api" \(cpu 256, memory 400 MiB\) fits was not checked\. Did you mean "t3\.micro"\? Known types: t3\.nano, /,
    );
  });

  test("warns that a Graviton type needs arm64 images", () => {
    const warnings = checkEc2Fit(input({}, { instanceType: "t4g.small" }));
    expect(warnings.map((warning) => warning.id)).toEqual(["@repo/infra:arm64InstanceType"]);
  });
});

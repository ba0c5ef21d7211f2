import { ConfigError } from "@repo/platform-config/errors";
import { describe, expect, test } from "vitest";
import {
  checkEc2Capacity,
  checkEc2Fit,
  type Ec2App,
  type Ec2FitInput,
  peakTasks,
} from "../src/validation/ec2-capacity.js";
import {
  closestInstanceType,
  INSTANCE_TYPES,
  instanceArchitecture,
  registeredCpuUnits,
  registeredMemoryMiB,
} from "../src/validation/ec2-instances.js";

function input(
  app: Partial<Ec2FitInput["app"]> = {},
  rest: Partial<Ec2FitInput> = {},
): Ec2FitInput {
  return {
    app: {
      name: "api",
      cpu: 256,
      memory: 400,
      desiredCount: 1,
      maxCount: 2,
      architecture: "x86_64",
      ...app,
    },
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

  test.each<[string, string, Ec2App["architecture"], RegExp]>([
    [
      "an x86_64 app on Graviton instances",
      "t4g.small",
      "x86_64",
      /^apps\/api\/deploy\.json: architecture = "x86_64": does not run on the EC2 capacity of environment staging: its instance type t4g\.small is arm64 \(AWS Graviton\), so the app's x86_64 tasks would stop with "exec format error"\. Fix: set "architecture": "arm64" in apps\/api\/deploy\.json .*so the image is built for linux\/arm64, set environments\.staging\.ec2\.instanceType in platform\.config\.json to an x86_64 type such as "t3\.small", or set capacity to "fargate"$/,
    ],
    [
      "an arm64 app on x86_64 instances",
      "t3.micro",
      "arm64",
      /architecture = "arm64": does not run .* t3\.micro is x86_64, .*Fix: set "architecture": "x86_64" .*linux\/amd64, set environments\.staging\.ec2\.instanceType in platform\.config\.json to an arm64 type such as "t4g\.micro"/,
    ],
    [
      "an x86_64 app on a Graviton type the table does not know",
      "c7gn.large",
      "x86_64",
      /its instance type c7gn\.large is arm64 \(AWS Graviton\)/,
    ],
  ])("refuses %s, with the fix", (_name, instanceType, architecture, message) => {
    const error = errorOf(() => checkEc2Fit(input({ architecture }, { instanceType })));
    expect(error.problems[0]).toMatchObject({ field: "architecture", value: architecture });
    expect(error.message).toMatch(message);
  });

  test("passes an arm64 app on Graviton instances, without a warning", () => {
    expect(checkEc2Fit(input({ architecture: "arm64" }, { instanceType: "t4g.small" }))).toEqual(
      [],
    );
  });
});

describe("instanceArchitecture", () => {
  test.each([
    ["t3.micro", "x86_64"],
    ["t3a.large", "x86_64"],
    ["m5.xlarge", "x86_64"],
    ["c6i.large", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["t4g.micro", "arm64"],
    ["m6g.large", "arm64"],
    ["c7g.xlarge", "arm64"],
    ["c7gn.large", "arm64"],
    ["r8g.large", "arm64"],
    ["a1.medium", "arm64"],
  ])("%s is %s", (instanceType, architecture) => {
    expect(instanceArchitecture(instanceType)).toBe(architecture);
  });
});

/** An app like the samples with the schema's defaults: 256 CPU, 512 MiB, 1 task, at most 2. */
function app(name: string, overrides: Partial<Ec2App> = {}): Ec2App {
  return {
    name,
    cpu: 256,
    memory: 512,
    desiredCount: 1,
    maxCount: 2,
    architecture: "x86_64",
    ...overrides,
  };
}

describe("checkEc2Capacity: every app on the capacity provider together", () => {
  test("the sample apps with the defaults do not fit two t3.micro, and it says why", () => {
    // GIVEN api and web, 512 MiB each, on t3.micro (about 944 MiB registered: one task each)
    // WHEN checked together
    const error = errorOf(() =>
      checkEc2Capacity({
        apps: [app("api"), app("web")],
        environment: "staging",
        instanceType: "t3.micro",
        maxInstances: 2,
      }),
    );
    // THEN the numbers and the three ways out
    expect(error.problems[0]).toMatchObject({
      file: "platform.config.json",
      field: "environments.staging.ec2.maxInstances",
      value: 2,
    });
    expect(error.message).toBe(
      'platform.config.json: environments.staging.ec2.maxInstances = 2: is too few for the 2 apps on EC2 capacity in environment staging: at their peaks api 2 x (512 MiB, 256 CPU units) for a rolling update from desiredCount 1, web 2 x (512 MiB, 256 CPU units) for a rolling update from desiredCount 1, 4 tasks in all (every app may release or scale out at the same time), take 4 t3.micro instances, each registering about 944 MiB and 2048 CPU units with ECS. Fix: set environments.staging.ec2.maxInstances in platform.config.json to 4 or more, set memory to 472 MiB or less in apps/api/deploy.json and apps/web/deploy.json, or move api to Fargate with "capacity": "fargate" in apps/api/deploy.json',
    );
  });

  // [title, apps, instance type, maxInstances, instances needed or undefined when it fits]
  test.each<[string, Ec2App[], string, number, number | undefined]>([
    [
      "one app: its own peak, as checkEc2Fit",
      [app("api", { memory: 400 })],
      "t3.micro",
      2,
      undefined,
    ],
    [
      "two apps that pack two per instance",
      [app("api", { memory: 400 }), app("web", { memory: 400 })],
      "t3.micro",
      2,
      undefined,
    ],
    ["two apps on a bigger type", [app("api"), app("web")], "t3.small", 2, undefined],
    ["the defaults with room for four", [app("api"), app("web")], "t3.micro", 4, undefined],
    ["the defaults on two t3.micro", [app("api"), app("web")], "t3.micro", 2, 4],
    [
      "three apps of mixed sizes (first fit by memory)",
      [app("a", { memory: 600 }), app("b", { memory: 300 }), app("c", { memory: 300 })],
      "t3.micro",
      2,
      3,
    ],
    [
      "maxCount, not the update, as the peak",
      [app("api", { maxCount: 4, memory: 256 }), app("web", { memory: 256 })],
      "t3.micro",
      2,
      undefined,
    ],
    [
      "autoscaling every app to maxCount",
      [app("api", { maxCount: 6, memory: 256 }), app("web", { maxCount: 6, memory: 256 })],
      "t3.micro",
      3,
      4,
    ],
    [
      "CPU as the limit",
      [app("api", { cpu: 1024, memory: 256 }), app("web", { cpu: 1024, memory: 256 })],
      "t3.micro",
      1,
      2,
    ],
  ])("%s", (_name, apps, instanceType, maxInstances, needed) => {
    const check = () =>
      checkEc2Capacity({ apps, environment: "staging", instanceType, maxInstances });
    if (needed === undefined) {
      expect(check).not.toThrow();
      return;
    }
    expect(check).toThrow(`take ${needed} ${instanceType} instances`);
  });

  test("names the CPU to set when memory is not what limits", () => {
    // GIVEN four tasks of 1024 CPU units and 200 MiB: two t3.micro by CPU, one by memory
    const error = errorOf(() =>
      checkEc2Capacity({
        apps: [app("api", { cpu: 1024, memory: 200 }), app("web", { cpu: 1024, memory: 200 })],
        environment: "staging",
        instanceType: "t3.micro",
        maxInstances: 1,
      }),
    );
    expect(error.message).toContain(
      "set cpu to 512 or less in apps/api/deploy.json and apps/web/deploy.json",
    );
  });

  test("checks each app on its own first, so a wrong architecture is named as such", () => {
    expect(() =>
      checkEc2Capacity({
        apps: [app("api"), app("web", { architecture: "arm64" })],
        environment: "staging",
        instanceType: "t3.medium",
        maxInstances: 4,
      }),
    ).toThrow(/^apps\/web\/deploy\.json: architecture = "arm64"/);
  });

  test("does not count a type the table does not know (checkEc2Fit warns)", () => {
    expect(() =>
      checkEc2Capacity({
        apps: [app("api"), app("web")],
        environment: "staging",
        instanceType: "t3.mirco",
        maxInstances: 1,
      }),
    ).not.toThrow();
  });

  test("an app's peak is its rolling update or its maxCount, whichever is more", () => {
    expect(peakTasks({ desiredCount: 1, maxCount: 2 })).toBe(2);
    expect(peakTasks({ desiredCount: 3, maxCount: 4 })).toBe(6);
    expect(peakTasks({ desiredCount: 1, maxCount: 5 })).toBe(5);
  });
});

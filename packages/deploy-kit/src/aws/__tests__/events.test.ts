import { describe, expect, it } from "vitest";
import {
  describeShortfall,
  eventKey,
  explainHealthReason,
  explainServiceEvent,
  isResourcePlacementFailure,
  newEvents,
  type PlacementContext,
} from "../events.js";

const TG =
  "arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/platfo-api-1R8YV2K6Q3ZQ8/6d0ecf831eec9f09";
const PLACEMENT_MEMORY =
  "(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";

const t3micro: PlacementContext = {
  taskMemory: 1024,
  taskCpu: 256,
  instances: [
    {
      id: "5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a",
      instanceType: "t3.micro",
      registeredMemory: 944,
      remainingMemory: 432,
      registeredCpu: 2048,
      remainingCpu: 1792,
    },
    {
      id: "a0b1c2d3e4f5467890abcdef12345678",
      instanceType: "t3.micro",
      registeredMemory: 944,
      remainingMemory: 944,
      registeredCpu: 2048,
      remainingCpu: 2048,
    },
  ],
};

describe("eventKey", () => {
  it("takes out what differs per task, so the same event for two tasks is one event", () => {
    const a = `(service api) (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [404]).`;
    const b = `(service api) (task d1c2b3a4f5e64d7c8b9a0f1e2d3c4b5a) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [404]).`;
    expect(eventKey(a)).toBe(eventKey(b));
    // bridge mode: the instance and the dynamic port differ per task
    expect(
      eventKey(
        "(service api) (instance i-0812a3bcd94babf12) (port 32779) is unhealthy in (target-group x) due to (reason Request timed out)",
      ),
    ).toBe(
      eventKey(
        "(service api) (instance i-0f9e8d7c6b5a43210) (port 32781) is unhealthy in (target-group x) due to (reason Request timed out)",
      ),
    );
  });

  it("keeps events that say different things apart", () => {
    expect(eventKey("(service api) has reached a steady state.")).not.toBe(
      eventKey(
        "(service api) (deployment ecs-svc/4829108533749205167) deployment failed: tasks failed to start.",
      ),
    );
  });
});

describe("newEvents", () => {
  const since = new Date("2026-11-20T10:04:50Z");
  // As DescribeServices lists them: newest first.
  const events = [
    {
      createdAt: new Date("2026-11-20T10:14:32.672Z"),
      message: "(service api) rolling back to deployment ecs-svc/2284609817735627354.",
    },
    {
      createdAt: new Date("2026-11-20T10:14:32.669Z"),
      message:
        "(service api) (deployment ecs-svc/4829108533749205167) deployment failed: tasks failed to start.",
    },
    {
      createdAt: new Date("2026-11-20T10:11:06.412Z"),
      message: "(service api) has started 1 tasks: (task c47b0e2f9a1d4e8b8c6a5f4e3d2c1b0a).",
    },
    {
      createdAt: new Date("2026-11-20T10:08:02.097Z"),
      message: "(service api) has started 1 tasks: (task 8e1d7c6b5a494f3e2d1c0b9a8f7e6d5c).",
    },
    {
      createdAt: new Date("2026-11-20T10:05:10.883Z"),
      message: "(service api) has started 1 tasks: (task 3f9c2a1b7e4d4c0a9b8e6f5d4c3b2a19).",
    },
    {
      createdAt: new Date("2026-11-20T09:12:44.530Z"),
      message: "(service api) has reached a steady state.",
    },
  ];

  it("keeps the events after `since`, oldest first, each once with how often it came", () => {
    expect(newEvents(events, since)).toEqual([
      {
        at: "2026-11-20T10:05:10Z",
        message: "(service api) has started 1 tasks: (task 3f9c2a1b7e4d4c0a9b8e6f5d4c3b2a19).",
        count: 3,
        lastAt: "2026-11-20T10:11:06Z",
      },
      {
        at: "2026-11-20T10:14:32Z",
        message:
          "(service api) (deployment ecs-svc/4829108533749205167) deployment failed: tasks failed to start.",
        explanation:
          "The deployment circuit breaker gave up on this release after repeated task failures.",
      },
      {
        at: "2026-11-20T10:14:32Z",
        message: "(service api) rolling back to deployment ecs-svc/2284609817735627354.",
        explanation:
          "ECS is going back to the previous deployment (ecs-svc/2284609817735627354): the release did not go out and the app keeps serving the old version.",
      },
    ]);
  });

  it("keeps events of the same moment in the order they happened", () => {
    const at = new Date("2026-11-20T10:07:02.518Z");
    const sameMoment = [
      { createdAt: at, message: `(service api) deregistered 1 targets in (target-group ${TG})` },
      {
        createdAt: at,
        message:
          "(service api) has stopped 1 running tasks: (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b).",
      },
    ];
    expect(newEvents(sameMoment, since).map((e) => e.message)).toEqual([
      "(service api) has stopped 1 running tasks: (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b).",
      `(service api) deregistered 1 targets in (target-group ${TG})`,
    ]);
  });

  it("returns nothing when nothing happened after `since`", () => {
    expect(newEvents(events, new Date("2026-11-20T11:00:00Z"))).toEqual([]);
  });
});

describe("explainServiceEvent", () => {
  it("puts numbers on a placement failure for memory", () => {
    expect(isResourcePlacementFailure(PLACEMENT_MEMORY)).toBe(true);
    expect(explainServiceEvent(PLACEMENT_MEMORY, t3micro)).toBe(
      "No EC2 instance has enough free memory for another task: the task needs 1024 MiB; the largest free memory on an instance is 944 MiB (t3.micro, 944 MiB registered in all); so the task can never fit this instance type, even on an empty instance.",
    );
  });

  it("says what it can when the instances are unknown", () => {
    expect(explainServiceEvent(PLACEMENT_MEMORY, { taskMemory: 1024 })).toBe(
      "No EC2 instance has enough free memory for another task: the task needs 1024 MiB.",
    );
    expect(explainServiceEvent(PLACEMENT_MEMORY)).toBe(
      "No EC2 instance has enough free memory for another task.",
    );
  });

  it("puts numbers on a placement failure for CPU", () => {
    const message =
      "(service clouddriver-dev-v0013) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance b2db08b9-0e55-4f7e-8331-f9fb0a707938) has insufficient CPU units available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";
    const busy: PlacementContext = {
      taskCpu: 1024,
      instances: [
        {
          id: "b2db08b9-0e55-4f7e-8331-f9fb0a707938",
          instanceType: "t3.small",
          registeredCpu: 2048,
          remainingCpu: 512,
        },
      ],
    };
    expect(explainServiceEvent(message, busy)).toBe(
      "No EC2 instance has enough free CPU for another task: the task needs 1024 CPU units; the largest free CPU on an instance is 512 CPU units (t3.small, 2048 CPU units registered in all).",
    );
  });

  it.each([
    [
      "service alpha-retool-main-service was unable to place a task because no container instance met all of its requirements. The closest matching container-instance 8e3f313316294514a404f0fa5b27e551 is already using a port required by your task. For more information, see the Troubleshooting section.",
      /fixed host port.*rolling update has nowhere/,
    ],
    [
      'service appmesh-dev-ecs-colorapp-TcpEchoService-14M0PCTB9QFKJ was unable to place a task because no container instance met all of its requirements. The closest matching container-instance acf43593-6b86-4838-86e5-46d896fdc8b3 encountered error "RESOURCE:ENI". For more information, see the Troubleshooting section.',
      /network interface of its own.*t3\.micro has 2/,
    ],
    [
      "service ComfyUIStack-ComfyUIService6B91FEDA-6l6z6AJugL5Q was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your capacity provider. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      /No EC2 instance is registered/,
    ],
    [
      "service test2-app was unable to place a task because no container instance met all of its requirements. The closest matching container-instance 1c2d3e4f is missing an attribute required by your task. For more information, see the Troubleshooting section.",
      /CPU architecture/,
    ],
    [
      "service storage-prod-bag-unpacker was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently. For more information, see the Troubleshooting section.",
      /quota/,
    ],
    [
      "(service api) was unable to place a task. Reason: You’ve reached the limit on the number of vCPUs you can run concurrently",
      /quota/,
    ],
    [
      "service MythicalMysfits-Service failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::281174624655:role/MythicalMysfitsCoreStack-ECSTaskRole-FXO3A6J08BN' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.).",
      /trust policy/,
    ],
    [
      "(service devops-g3-inventory) (task 0668979337dc48ebb791640cd1162053) failed container health checks.",
      /health check command/,
    ],
    [
      `(service api) (task 9d85800c30b349039d104d52b506b930) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [503]).`,
      /answered the health check request with 503: it runs, but reports itself unhealthy/,
    ],
    [
      "(service development-demo-web-Ecs-13D2BFA4ULNC9) (instance i-0812a3bcd94babf12) (port 32779) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/devel-Targe-1MJR8V6VOWBGI/3f44f85710fe0297) due to (reason Request timed out)",
      /listens on 127\.0\.0\.1 instead of 0\.0\.0\.0/,
    ],
    [
      `(service civictechjobs-fullstack-stage) (port 8000) is unhealthy in (target-group ${TG}) due to (reason Health checks failed).`,
      /could not connect to the app/,
    ],
    ["(service api) is unable to consistently start tasks successfully.", /longer and longer/],
  ])("explains %s", (message, explanation) => {
    expect(explainServiceEvent(message)).toMatch(explanation);
  });

  it("names the health check path when it knows it", () => {
    const message = `(service api) (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [404]).`;
    expect(explainServiceEvent(message, { healthCheckPath: "/health" })).toBe(
      "The app answered GET /health with 404 instead of 200: the health check path is wrong (or needs a redirect or login).",
    );
  });

  it("leaves events that say what they mean alone", () => {
    expect(explainServiceEvent("(service api) has reached a steady state.")).toBeUndefined();
    expect(
      explainServiceEvent(
        "(service api) has started 1 tasks: (task 3f9c2a1b7e4d4c0a9b8e6f5d4c3b2a19).",
      ),
    ).toBeUndefined();
    expect(
      explainServiceEvent(`(service api) registered 1 targets in (target-group ${TG})`),
    ).toBeUndefined();
  });
});

describe("describeShortfall and explainHealthReason", () => {
  it("says nothing when it knows nothing", () => {
    expect(describeShortfall("memory", {})).toBeUndefined();
    expect(explainHealthReason("Target.NotRegistered")).toBeUndefined();
  });

  it("reads ELB's own reason codes too", () => {
    expect(explainHealthReason("Target.Timeout: Request timed out")).toMatch(
      /got no answer in time/,
    );
    expect(explainHealthReason("Target.FailedHealthChecks: Health checks failed")).toMatch(
      /could not connect/,
    );
  });
});

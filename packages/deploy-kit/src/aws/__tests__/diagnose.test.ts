import {
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
} from "@aws-sdk/client-auto-scaling";
import { GetLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import {
  AccessDeniedException,
  ClusterNotFoundException,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2ServiceException,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { beforeEach, describe, expect, it } from "vitest";
import { DeployError } from "../../errors.js";
import { createAwsClients } from "../clients.js";
import { type Diagnosis, diagnose, formatDiagnosis } from "../diagnose.js";
import { autoscaling, ecs, elb, logs, resetAwsMocks } from "./fixtures/aws-mocks.js";
import { type Recording, recorded } from "./fixtures/recorded.js";
import { REGION } from "./fixtures/task-definition.js";

const CLUSTER = "platform-prod";
const FAILED = "ecs-svc/4829108533749205167";
/** The moment the release started: what the release passes as `since`. */
const RELEASE_START = new Date("2026-11-20T10:04:50Z");
const input = { cluster: CLUSTER, service: "api", since: RELEASE_START, environment: "prod" };
const TG =
  "arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/platfo-api-1R8YV2K6Q3ZQ8/6d0ecf831eec9f09";
const OOM_TASKS = [
  "c47b0e2f9a1d4e8b8c6a5f4e3d2c1b0a",
  "8e1d7c6b5a494f3e2d1c0b9a8f7e6d5c",
  "3f9c2a1b7e4d4c0a9b8e6f5d4c3b2a19",
];
const DENIED =
  "User: arn:aws:sts::222222222222:assumed-role/platform-prod-deploy/GitHubActions is not authorized to perform: elasticloadbalancing:DescribeTargetHealth because no identity-based policy allows the elasticloadbalancing:DescribeTargetHealth action";

beforeEach(resetAwsMocks);

/** Answers every call as AWS answered it in the recording; a log stream it lacks does not exist. */
function replay(recording: Recording) {
  ecs.on(DescribeServicesCommand).resolves(recording.DescribeServices);
  for (const [arn, output] of Object.entries(recording.DescribeTaskDefinition)) {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: arn }).resolves(output);
  }
  ecs.on(ListTasksCommand).resolves(recording.ListTasks);
  if (recording.DescribeTasks) ecs.on(DescribeTasksCommand).resolves(recording.DescribeTasks);
  elb.on(DescribeTargetGroupsCommand).resolves(recording.DescribeTargetGroups);
  elb.on(DescribeTargetHealthCommand).resolves(recording.DescribeTargetHealth);
  logs.on(GetLogEventsCommand).rejects(
    new ResourceNotFoundException({
      message: "The specified log stream does not exist.",
      $metadata: { httpStatusCode: 400 },
    }),
  );
  for (const [stream, output] of Object.entries(recording.GetLogEvents ?? {})) {
    logs.on(GetLogEventsCommand, { logStreamName: stream }).resolves(output);
  }
  if (recording.DescribeCapacityProviders)
    ecs.on(DescribeCapacityProvidersCommand).resolves(recording.DescribeCapacityProviders);
  if (recording.ListContainerInstances)
    ecs.on(ListContainerInstancesCommand).resolves(recording.ListContainerInstances);
  if (recording.DescribeContainerInstances)
    ecs.on(DescribeContainerInstancesCommand).resolves(recording.DescribeContainerInstances);
  if (recording.DescribeAutoScalingGroups)
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves(recording.DescribeAutoScalingGroups);
  if (recording.DescribeScalingActivities)
    autoscaling.on(DescribeScalingActivitiesCommand).resolves(recording.DescribeScalingActivities);
}

const run = (
  overrides: Partial<typeof input> & { deploymentId?: string; logLines?: number } = {},
) => diagnose(createAwsClients(REGION), { ...input, ...overrides });

function section(lines: string[], title: string): string[] {
  const start = lines.findIndex((line) => line.startsWith(title));
  if (start < 0) return [];
  const end = lines.indexOf("", start);
  return lines.slice(start, end < 0 ? undefined : end);
}

describe("diagnose: a Fargate release whose container runs out of memory", () => {
  it("gathers the failed deployment, its stopped tasks grouped, the new events and the failed tasks' logs", async () => {
    replay(recorded("diagnose-fargate-oom"));

    const diagnosis = await run();

    expect(diagnosis.deployment).toEqual({
      id: FAILED,
      status: "ACTIVE",
      rolloutState: "FAILED",
      rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
      taskDefinition: "arn:aws:ecs:eu-west-1:222222222222:task-definition/platform-prod-api:8",
      desired: 2,
      running: 0,
      pending: 0,
      failedTasks: 3,
    });
    // three tasks of the failed deployment, one group; the older deployment's task is not one of them
    expect(diagnosis.stoppedTasks).toEqual([
      {
        reason: "Essential container in task exited",
        stopCode: "EssentialContainerExited",
        count: 3,
        taskIds: OOM_TASKS,
        containers: [
          {
            name: "api",
            exitCode: 137,
            reason: "OutOfMemoryError: Container killed due to memory usage",
            memory: 512,
          },
        ],
      },
    ]);
    expect(diagnosis.events.map((e) => [e.at, e.count ?? 1, e.message])).toEqual([
      [
        "2026-11-20T10:05:10Z",
        3,
        "(service api) has started 1 tasks: (task 3f9c2a1b7e4d4c0a9b8e6f5d4c3b2a19).",
      ],
      [
        "2026-11-20T10:14:32Z",
        1,
        `(service api) (deployment ${FAILED}) deployment failed: tasks failed to start.`,
      ],
      [
        "2026-11-20T10:14:32Z",
        1,
        "(service api) rolling back to deployment ecs-svc/2284609817735627354.",
      ],
    ]);
    expect(diagnosis.targetHealth).toEqual([]);
    expect(
      diagnosis.logs.map((log) => [
        log.taskId,
        log.container,
        log.logGroup,
        log.logStream,
        log.lines.length,
      ]),
    ).toEqual(OOM_TASKS.map((id) => [id, "api", "/ecs/platform/prod/api", `api/api/${id}`, 3]));
    expect(diagnosis.logs[0]?.lines.at(-1)).toMatch(/"msg":"warming product cache"/);
    expect(diagnosis.hints.map((hint) => hint.id)).toEqual([
      "out-of-memory",
      "circuit-breaker-rollback",
    ]);
    expect(diagnosis.hints[0]?.fix).toMatch(
      /^The container used more memory than its limit and was killed\. Raise `memory` in apps\/api\/deploy\.json/,
    );
    expect(diagnosis.gaps).toEqual([]);
  });

  it("finds the log streams from the task definition's awslogs options and the task ids", async () => {
    replay(recorded("diagnose-fargate-oom"));
    await run({ logLines: 2 });
    expect(logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input)).toEqual(
      OOM_TASKS.map((id) => ({
        logGroupName: "/ecs/platform/prod/api",
        logStreamName: `api/api/${id}`,
        limit: 2,
        startFromHead: false,
      })),
    );
    expect(
      ecs.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input),
    ).toEqual([
      { taskDefinition: "arn:aws:ecs:eu-west-1:222222222222:task-definition/platform-prod-api:8" },
    ]);
  });

  it("lists the service's stopped tasks and keeps the deployment's by their startedBy", async () => {
    replay(recorded("diagnose-fargate-oom"));
    await run();
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      serviceName: "api",
      desiredStatus: "STOPPED",
      maxResults: 100,
    });
    expect(ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input.tasks).toHaveLength(4);
  });

  it("asks Auto Scaling nothing on Fargate", async () => {
    replay(recorded("diagnose-fargate-oom"));
    const diagnosis = await run();
    expect(autoscaling.calls()).toHaveLength(0);
    expect(ecs.commandCalls(DescribeCapacityProvidersCommand)).toHaveLength(0);
    expect(ecs.commandCalls(DescribeClustersCommand)).toHaveLength(0);
    expect(ecs.commandCalls(ListContainerInstancesCommand)).toHaveLength(0);
    expect(diagnosis.scalingActivities).toEqual([]);
    expect(diagnosis.autoScalingGroups).toBeUndefined();
  });

  it("reads as a report a user can act on", async () => {
    replay(recorded("diagnose-fargate-oom"));
    const lines = formatDiagnosis(await run());

    expect(lines.slice(0, 2)).toEqual([
      "Why the release failed: The container ran out of memory",
      "  container api was killed for using more memory than it has (its limit is 512 MiB): exit code 137, OutOfMemoryError: Container killed due to memory usage (3 tasks)",
    ]);
    expect(section(lines, "Deployment")).toEqual([
      `Deployment ${FAILED} of api (platform-prod-api:8): FAILED (ECS deployment circuit breaker: tasks failed to start.)`,
      "  desired 2, running 0, pending 0, failed tasks 3",
    ]);
    expect(section(lines, "Stopped tasks")).toEqual([
      "Stopped tasks",
      `  3 tasks (${OOM_TASKS.join(", ")}): Essential container in task exited [EssentialContainerExited]`,
      "    api: exit code 137, OutOfMemoryError: Container killed due to memory usage, memory limit 512 MiB",
    ]);
    expect(section(lines, "Service events")).toEqual([
      "Service events",
      "  2026-11-20T10:05:10Z (service api) has started 1 tasks: (task 3f9c2a1b7e4d4c0a9b8e6f5d4c3b2a19). (3 times, last at 2026-11-20T10:11:06Z)",
      `  2026-11-20T10:14:32Z (service api) (deployment ${FAILED}) deployment failed: tasks failed to start.`,
      "    → The deployment circuit breaker gave up on this release after repeated task failures.",
      "  2026-11-20T10:14:32Z (service api) rolling back to deployment ecs-svc/2284609817735627354.",
      "    → ECS is going back to the previous deployment (ecs-svc/2284609817735627354): the release did not go out and the app keeps serving the old version.",
    ]);
    expect(section(lines, `Last log lines (task ${OOM_TASKS[0]}`)).toEqual([
      `Last log lines (task ${OOM_TASKS[0]}, container api, log group /ecs/platform/prod/api, stream api/api/${OOM_TASKS[0]})`,
      `  {"level":"info","time":"2026-11-20T10:11:08.627Z","service":"api","version":"0.2.0","commit":"${"2".repeat(40)}","env":"prod","msg":"config loaded"}`,
      `  {"level":"info","time":"2026-11-20T10:11:08.791Z","service":"api","version":"0.2.0","commit":"${"2".repeat(40)}","env":"prod","host":"0.0.0.0","port":8080,"msg":"listening"}`,
      `  {"level":"info","time":"2026-11-20T10:11:08.808Z","service":"api","version":"0.2.0","commit":"${"2".repeat(40)}","env":"prod","entries":1200000,"msg":"warming product cache"}`,
    ]);
    expect(lines.filter((line) => line.startsWith("Last log lines"))).toHaveLength(3);
    expect(section(lines, "What to do")).toEqual([
      "What to do",
      "  1. The container ran out of memory: The container used more memory than its limit and was killed. Raise `memory` in apps/api/deploy.json (on Fargate with a `cpu` that allows it: 256 CPU takes 512-2048 MiB, 512 takes 1024-4096), or make the app use less (for Node, keep --max-old-space-size below the limit). On EC2 capacity the new size must still fit `environments.prod.ec2.instanceType` in platform.config.json.",
      "    Seen: container api was killed for using more memory than it has (its limit is 512 MiB): exit code 137, OutOfMemoryError: Container killed due to memory usage (3 tasks)",
      "  2. The circuit breaker stopped the release: ECS gave up on the new tasks after repeated failures and went back to the previous deployment, so the app still serves the old release. The other findings say why the new tasks failed: fix that and release again (no `deploy-kit rollback` needed).",
      "    Seen: ECS deployment circuit breaker: tasks failed to start. (service api) rolling back to deployment ecs-svc/2284609817735627354.",
    ]);
    // nothing was unhealthy at the load balancer, no EC2, nothing missing: those sections are left out
    expect(
      lines.some((line) => /^(Load balancer health|Auto Scaling|Not gathered)/.test(line)),
    ).toBe(false);
  });
});

describe("diagnose: a release whose health check path is wrong", () => {
  it("says the load balancer checks /health and the app answers 404", async () => {
    replay(recorded("diagnose-health-path"));

    const diagnosis = await run();

    expect(diagnosis.targetHealth).toEqual([
      {
        target: "10.0.12.19",
        port: 8080,
        state: "unhealthy",
        reason: "Target.ResponseCodeMismatch",
        description: "Health checks failed with these codes: [404]",
        targetGroup: "platfo-api-1R8YV2K6Q3ZQ8",
        healthCheckPath: "/health",
        healthCheckPort: "traffic-port",
      },
    ]);
    expect(diagnosis.targetGroups).toEqual([
      {
        name: "platfo-api-1R8YV2K6Q3ZQ8",
        healthCheckPath: "/health",
        healthCheckPort: "traffic-port",
        matcher: "200",
      },
    ]);
    expect(diagnosis.stoppedTasks.map((g) => [g.count, g.reason, g.stopCode])).toEqual([
      [3, `Task failed ELB health checks in (target-group ${TG})`, "ServiceSchedulerInitiated"],
    ]);
    expect(diagnosis.hints.map((hint) => hint.id)).toEqual([
      "health-check-path",
      "circuit-breaker-rollback",
    ]);

    const lines = formatDiagnosis(diagnosis);
    expect(lines.slice(0, 2)).toEqual([
      "Why the release failed: The load balancer's health check path does not answer 200",
      "  Target.ResponseCodeMismatch: Health checks failed with these codes: [404] (health check GET /health) — The app answered GET /health with 404 instead of 200: the health check path is wrong (or needs a redirect or login).",
    ]);
    expect(section(lines, "Load balancer health")).toEqual([
      "Load balancer health",
      "  10.0.12.19:8080 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [404] (health check GET /health on the traffic port)",
    ]);
    expect(section(lines, "Service events")).toEqual([
      "Service events",
      "  2026-11-20T10:05:14Z (service api) has started 1 tasks: (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b). (3 times, last at 2026-11-20T10:09:48Z)",
      `  2026-11-20T10:05:14Z (service api) registered 1 targets in (target-group ${TG}) (3 times, last at 2026-11-20T10:09:48Z)`,
      `  2026-11-20T10:07:02Z (service api) (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [404]). (3 times, last at 2026-11-20T10:11:36Z)`,
      "    → The app answered GET /health with 404 instead of 200: the health check path is wrong (or needs a redirect or login).",
      "  2026-11-20T10:07:02Z (service api) has stopped 1 running tasks: (task 5b2e9f1c3a7d4e6b8f0a1c2d3e4f5a6b). (3 times, last at 2026-11-20T10:11:36Z)",
      `  2026-11-20T10:07:02Z (service api) deregistered 1 targets in (target-group ${TG}) (3 times, last at 2026-11-20T10:11:36Z)`,
      `  2026-11-20T10:12:04Z (service api) (deployment ${FAILED}) deployment failed: tasks failed to start.`,
      "    → The deployment circuit breaker gave up on this release after repeated task failures.",
      "  2026-11-20T10:12:04Z (service api) rolling back to deployment ecs-svc/2284609817735627354.",
      "    → ECS is going back to the previous deployment (ecs-svc/2284609817735627354): the release did not go out and the app keeps serving the old version.",
    ]);
    const logTitle = "Last log lines (task 7a6b5c4d3e2f41a0b9c8d7e6f5a4b3c2";
    expect(
      section(lines, logTitle).map((line) =>
        line.replace(/^ {2}\{"level":"(\w+)".*"msg":"([^"]+)"\}$/, "  $1 $2"),
      ),
    ).toEqual([
      `${logTitle}, container api, log group /ecs/platform/prod/api, stream api/api/7a6b5c4d3e2f41a0b9c8d7e6f5a4b3c2)`,
      "  info listening",
      "  warn request completed",
      "  warn request completed",
      "  warn request completed",
      "  warn request completed",
      "  info shutting down",
      "  info stopped",
    ]);
    expect(section(lines, "What to do")).toEqual([
      "What to do",
      "  1. The load balancer's health check path does not answer 200: The load balancer checks a path the app does not answer with 200. Set `healthCheckPath` in apps/api/deploy.json to the app's health route (the platform's apps serve GET /healthz), or add that route; it must answer 200 without a login or a redirect.",
      "    Seen: Target.ResponseCodeMismatch: Health checks failed with these codes: [404] (health check GET /health) — The app answered GET /health with 404 instead of 200: the health check path is wrong (or needs a redirect or login).",
      "  2. The circuit breaker stopped the release: ECS gave up on the new tasks after repeated failures and went back to the previous deployment, so the app still serves the old release. The other findings say why the new tasks failed: fix that and release again (no `deploy-kit rollback` needed).",
      "    Seen: ECS deployment circuit breaker: tasks failed to start. (service api) rolling back to deployment ecs-svc/2284609817735627354.",
    ]);
  });

  it("still names the path when the failing targets are already gone", async () => {
    const recording = recorded("diagnose-health-path");
    recording.DescribeTargetHealth.TargetHealthDescriptions =
      recording.DescribeTargetHealth.TargetHealthDescriptions?.filter(
        (t) => t.TargetHealth?.State === "healthy",
      );
    replay(recording);
    const diagnosis = await run();
    expect(diagnosis.targetHealth).toEqual([]);
    expect(diagnosis.hints[0]).toMatchObject({
      id: "health-check-path",
      evidence: expect.stringMatching(
        /due to \(reason Health checks failed with these codes: \[404\]\)\. — The app answered GET \/health with 404/,
      ),
    });
  });
});

describe("diagnose: EC2 capacity", () => {
  it("follows the capacity provider to its Auto Scaling group and puts numbers on the placement failure", async () => {
    replay(recorded("diagnose-ec2-placement"));

    const diagnosis = await run();

    expect(ecs.commandCalls(DescribeCapacityProvidersCommand)[0]?.args[0].input).toEqual({
      capacityProviders: ["platform-prod-Ec2CapacityProviderB7C2E4D1-Xq9PzR3kLm2N"],
    });
    expect(autoscaling.commandCalls(DescribeScalingActivitiesCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: "platform-prod-Ec2CapacityAsgAsg1F2E3D4C-Ab3Cd5Ef7Gh9",
      MaxRecords: 20,
    });
    // the activity of the day before is older than the release
    expect(diagnosis.scalingActivities).toEqual([
      expect.objectContaining({
        at: "2026-11-20T10:06:22Z",
        status: "Successful",
        description: "Launching a new EC2 instance: i-0f9e8d7c6b5a43210",
      }),
    ]);
    expect(diagnosis.autoScalingGroups).toEqual([
      {
        name: "platform-prod-Ec2CapacityAsgAsg1F2E3D4C-Ab3Cd5Ef7Gh9",
        min: 1,
        max: 2,
        desired: 2,
        instances: 2,
      },
    ]);
    expect(diagnosis.taskSize).toEqual({ memory: 1024, networkMode: "bridge" });
    expect(diagnosis.events).toEqual([
      expect.objectContaining({
        count: 3,
        explanation:
          "No EC2 instance has enough free memory for another task: the task needs 1024 MiB; the largest free memory on an instance is 944 MiB (t3.micro, 944 MiB registered in all); so the task can never fit this instance type, even on an empty instance.",
      }),
    ]);
    expect(diagnosis.hints.map((hint) => hint.id)).toEqual([
      "instance-memory",
      "capacity-at-maximum",
    ]);

    const lines = formatDiagnosis(diagnosis);
    expect(lines.slice(0, 2)).toEqual([
      "Why the release failed: The task does not fit the instances' free memory",
      '  the task needs 1024 MiB; the largest free memory on an instance is 944 MiB (t3.micro, 944 MiB registered in all); so the task can never fit this instance type, even on an empty instance (ECS: "The closest matching (container-instance 5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a) has insufficient memory available.")',
    ]);
    expect(section(lines, "Auto Scaling")).toEqual([
      "Auto Scaling",
      "  platform-prod-Ec2CapacityAsgAsg1F2E3D4C-Ab3Cd5Ef7Gh9: 2 in service, desired 2 (min 1, max 2), at its maximum",
      "  2026-11-20T10:06:22Z Successful: Launching a new EC2 instance: i-0f9e8d7c6b5a43210",
    ]);
    expect(section(lines, "What to do")[1]).toBe(
      "  1. The task does not fit the instances' free memory: No EC2 instance has enough free memory for one more task. Lower `memory` in apps/api/deploy.json, choose a larger `environments.prod.ec2.instanceType` in platform.config.json, or raise `ec2.maxInstances` so the capacity provider can add an instance (a rolling update needs room for the old and the new task at once).",
    );
  });

  it("reads the container instances only when a placement failed for memory or CPU", async () => {
    const recording = recorded("diagnose-ec2-placement");
    recording.DescribeServices.services?.[0]?.events?.splice(0, 3);
    replay(recording);
    await run();
    expect(ecs.commandCalls(ListContainerInstancesCommand)).toHaveLength(0);
    expect(autoscaling.commandCalls(DescribeScalingActivitiesCommand)).toHaveLength(1);
  });

  it("says when Auto Scaling itself is throttled, and goes on", async () => {
    replay(recorded("diagnose-ec2-placement"));
    autoscaling.on(DescribeScalingActivitiesCommand).rejects(
      new AutoScalingServiceException({
        name: "Throttling",
        $fault: "client",
        message: "Rate exceeded",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const diagnosis = await run();
    expect(diagnosis.gaps).toEqual([
      "Auto Scaling activities of platform-prod-Ec2CapacityAsgAsg1F2E3D4C-Ab3Cd5Ef7Gh9: Throttling: Rate exceeded (still throttled after the SDK's retries; run `deploy-kit diagnose` again in a minute)",
    ]);
    expect(diagnosis.autoScalingGroups).toHaveLength(1);
    expect(diagnosis.hints.map((hint) => hint.id)).toEqual([
      "instance-memory",
      "capacity-at-maximum",
    ]);
  });
});

describe("diagnose: a part that cannot be gathered", () => {
  it("says which part and which permission is missing, and gathers the rest", async () => {
    replay(recorded("diagnose-health-path"));
    elb.on(DescribeTargetHealthCommand).rejects(
      new ElasticLoadBalancingV2ServiceException({
        name: "AccessDenied",
        $fault: "client",
        message: DENIED,
        $metadata: { httpStatusCode: 403 },
      }),
    );

    const diagnosis = await run();

    expect(diagnosis.gaps).toEqual([
      `Load balancer health of ${TG}: AccessDenied: ${DENIED} (the identity deploy-kit runs as needs elasticloadbalancing:DescribeTargetHealth)`,
    ]);
    expect(diagnosis.targetHealth).toEqual([]);
    expect(diagnosis.stoppedTasks).toHaveLength(1);
    expect(diagnosis.events.length).toBeGreaterThan(0);
    expect(diagnosis.logs).toHaveLength(3);
    // the service events still tell the reason
    expect(diagnosis.hints.map((hint) => hint.id)).toEqual([
      "health-check-path",
      "circuit-breaker-rollback",
    ]);
    expect(section(formatDiagnosis(diagnosis), "Not gathered")).toEqual([
      "Not gathered",
      `  - Load balancer health of ${TG}: AccessDenied: ${DENIED} (the identity deploy-kit runs as needs elasticloadbalancing:DescribeTargetHealth)`,
    ]);
  });

  it("goes on without the stopped tasks (and so without logs) when ECS refuses to list them", async () => {
    replay(recorded("diagnose-fargate-oom"));
    ecs.on(ListTasksCommand).rejects(
      new AccessDeniedException({
        message:
          "User: arn:aws:sts::222222222222:assumed-role/platform-prod-deploy/GitHubActions is not authorized to perform: ecs:ListTasks on resource: *",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const diagnosis = await run();
    expect(diagnosis.gaps).toEqual([
      "Stopped tasks: AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/platform-prod-deploy/GitHubActions is not authorized to perform: ecs:ListTasks on resource: * (the identity deploy-kit runs as needs ecs:ListTasks and ecs:DescribeTasks)",
    ]);
    expect(diagnosis.stoppedTasks).toEqual([]);
    expect(diagnosis.logs).toEqual([]);
    expect(diagnosis.hints.map((hint) => hint.id)).toEqual(["circuit-breaker-rollback"]);
  });

  it("says which log stream is missing and shows the others", async () => {
    const recording = recorded("diagnose-fargate-oom");
    delete recording.GetLogEvents?.[`api/api/${OOM_TASKS[1]}`];
    replay(recording);
    const diagnosis = await run();
    expect(diagnosis.logs.map((log) => log.taskId)).toEqual([OOM_TASKS[0], OOM_TASKS[2]]);
    expect(diagnosis.gaps).toEqual([
      `Logs of task ${OOM_TASKS[1]} (/ecs/platform/prod/api api/api/${OOM_TASKS[1]}): ResourceNotFoundException: The specified log stream does not exist.`,
    ]);
  });

  it("says why logs cannot be found when the container does not log with awslogs", async () => {
    const recording = recorded("diagnose-fargate-oom");
    const definition = Object.values(recording.DescribeTaskDefinition)[0]?.taskDefinition;
    const container = definition?.containerDefinitions?.[0];
    if (container)
      container.logConfiguration = { logDriver: "awsfirelens", options: { Name: "datadog" } };
    replay(recording);
    const diagnosis = await run();
    expect(diagnosis.logs).toEqual([]);
    expect(diagnosis.gaps).toContain(
      `Logs of task ${OOM_TASKS[0]}: container api logs with awsfirelens; deploy-kit reads awslogs only`,
    );
  });
});

describe("diagnose: what is new", () => {
  it("keeps only the events and stopped tasks after `since`", async () => {
    replay(recorded("diagnose-fargate-oom"));
    const diagnosis = await run({ deploymentId: FAILED, since: new Date("2026-11-20T10:09:00Z") });
    expect(diagnosis.stoppedTasks.map((g) => g.taskIds)).toEqual([[OOM_TASKS[0], OOM_TASKS[1]]]);
    expect(diagnosis.events.map((e) => [e.at, e.count ?? 1])).toEqual([
      ["2026-11-20T10:11:06Z", 1],
      ["2026-11-20T10:14:32Z", 1],
      ["2026-11-20T10:14:32Z", 1],
    ]);
  });

  it("picks the deployment the circuit breaker failed, not the rollback that followed it", async () => {
    replay(recorded("diagnose-fargate-oom"));
    const diagnosis = await run();
    expect(diagnosis.deployment?.id).toBe(FAILED);
  });

  it("does not pick a failed deployment from before `since`", async () => {
    replay(recorded("diagnose-fargate-oom"));
    const diagnosis = await run({ since: new Date("2026-11-20T10:10:00Z") });
    expect(diagnosis.deployment?.id).toBe("ecs-svc/7313376405386542201");
  });

  it("diagnoses the deployment it is given, even when ECS no longer lists it", async () => {
    replay(recorded("diagnose-fargate-oom"));
    const diagnosis = await run({
      deploymentId: "ecs-svc/1190363471234418842",
      since: new Date("2026-11-20T09:00:00Z"),
    });
    expect(diagnosis.deployment).toBeUndefined();
    expect(diagnosis.gaps[0]).toBe(
      "Deployment ecs-svc/1190363471234418842: the service no longer lists it (ECS drops a deployment once another has replaced it); its stopped tasks are still shown",
    );
    expect(diagnosis.stoppedTasks.map((g) => [g.reason, g.taskIds])).toEqual([
      [
        "Scaling activity initiated by (deployment ecs-svc/2284609817735627354)",
        ["0a7e6d5c4b3a49281716f5e4d3c2b1a0"],
      ],
    ]);
  });
});

describe("diagnose: no service", () => {
  it("names the cluster, the service and the fix when the service does not exist", async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [],
      failures: [
        {
          arn: "arn:aws:ecs:eu-west-1:222222222222:service/platform-prod/billing",
          reason: "MISSING",
        },
      ],
    });
    const error = await run({ service: "billing" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect(error).toMatchObject({
      message:
        'The ECS service "billing" was not found in the cluster "platform-prod" (ECS says MISSING).',
      hint: "The app's stack creates the service: deploy it with `cdk deploy` in packages/infra, and check that --env names the environment (and the AWS account and region) the app was deployed to.",
      code: "SERVICE_NOT_FOUND",
      exitCode: 2,
    });
    expect(elb.calls()).toHaveLength(0);
  });

  it("says so when the cluster does not exist", async () => {
    ecs.on(DescribeServicesCommand).rejects(
      new ClusterNotFoundException({
        message: "Cluster not found.",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(run({ cluster: "platform-qa" })).rejects.toMatchObject({
      message: 'The ECS cluster "platform-qa" does not exist.',
      code: "CLUSTER_NOT_FOUND",
    });
  });

  it("treats a deleted (INACTIVE) service as missing", async () => {
    const recording = recorded("diagnose-fargate-oom");
    const service = recording.DescribeServices.services?.[0];
    if (service) service.status = "INACTIVE";
    replay(recording);
    await expect(run()).rejects.toMatchObject({
      code: "SERVICE_NOT_FOUND",
      message: expect.stringMatching(/INACTIVE/),
    });
  });
});

describe("formatDiagnosis", () => {
  const healthy: Diagnosis = {
    service: "api",
    deployment: {
      id: "ecs-svc/2284609817735627354",
      status: "PRIMARY",
      rolloutState: "COMPLETED",
      rolloutStateReason: "ECS deployment ecs-svc/2284609817735627354 completed.",
      taskDefinition: "arn:aws:ecs:eu-west-1:222222222222:task-definition/platform-prod-api:7",
      desired: 2,
      running: 2,
      pending: 0,
      failedTasks: 0,
    },
    stoppedTasks: [],
    events: [{ at: "2026-11-20T10:21:40Z", message: "(service api) has reached a steady state." }],
    targetHealth: [],
    logs: [],
    scalingActivities: [],
    hints: [],
    gaps: [],
  };

  it("says when nothing is wrong, and omits empty sections", () => {
    expect(formatDiagnosis(healthy)).toEqual([
      "No failure found: deployment ecs-svc/2284609817735627354 is COMPLETED with 2 of 2 tasks running.",
      "",
      "Deployment ecs-svc/2284609817735627354 of api (platform-prod-api:7): COMPLETED (ECS deployment ecs-svc/2284609817735627354 completed.)",
      "  desired 2, running 2, pending 0, failed tasks 0",
      "",
      "Service events",
      "  2026-11-20T10:21:40Z (service api) has reached a steady state.",
    ]);
  });

  it("does not call a completed release failed when it finds trouble", () => {
    const lines = formatDiagnosis({
      ...healthy,
      hints: [
        {
          id: "spot-interruption",
          title: "Fargate Spot reclaimed the task",
          fix: "…",
          evidence: "Your Spot Task was interrupted. [SpotInterruption] (1 task)",
        },
      ],
    });
    expect(lines.slice(0, 2)).toEqual([
      "Trouble found, although deployment ecs-svc/2284609817735627354 completed: Fargate Spot reclaimed the task",
      "  Your Spot Task was interrupted. [SpotInterruption] (1 task)",
    ]);
  });

  it("says when a release failed for no known reason", () => {
    const lines = formatDiagnosis({
      ...healthy,
      stoppedTasks: [
        {
          reason: "Task stopped by user",
          stopCode: "UserInitiated",
          count: 1,
          taskIds: ["1f2e3d4c5b6a49788796a5b4c3d2e1f0"],
          containers: [{ name: "api", exitCode: 143 }],
        },
      ],
    });
    expect(lines[0]).toBe(
      "Why the release failed: no known failure matched; what AWS reported is below.",
    );
  });

  it("shows identical log tails once, repeated lines once, and each gap once", () => {
    const lines = formatDiagnosis({
      ...healthy,
      logs: [
        {
          taskId: "aaaa",
          container: "api",
          logStream: "api/api/aaaa",
          logGroup: "/ecs/platform/prod/api",
          lines: ["Error: DATABASE_URL is required", "Error: DATABASE_URL is required", "exit"],
        },
        {
          taskId: "bbbb",
          container: "api",
          logStream: "api/api/bbbb",
          logGroup: "/ecs/platform/prod/api",
          lines: ["Error: DATABASE_URL is required", "Error: DATABASE_URL is required", "exit"],
        },
        { taskId: "cccc", container: "api", logStream: "api/api/cccc", lines: [] },
      ],
      gaps: [
        "Capacity providers: Throttling: Rate exceeded",
        "Capacity providers: Throttling: Rate exceeded",
      ],
    });
    expect(
      lines.slice(
        lines.indexOf(
          "Last log lines (task aaaa, container api, log group /ecs/platform/prod/api, stream api/api/aaaa)",
        ),
      ),
    ).toEqual([
      "Last log lines (task aaaa, container api, log group /ecs/platform/prod/api, stream api/api/aaaa)",
      "  Error: DATABASE_URL is required",
      "  (the line above 2 times)",
      "  exit",
      "",
      "Last log lines (task bbbb, container api, log group /ecs/platform/prod/api, stream api/api/bbbb)",
      "  (the same lines as task aaaa)",
      "",
      "Last log lines (task cccc, container api, stream api/api/cccc)",
      "  (the container wrote nothing)",
      "",
      "Not gathered",
      "  - Capacity providers: Throttling: Rate exceeded",
    ]);
  });

  it("shows a failed scaling activity's message under it", () => {
    const lines = formatDiagnosis({
      ...healthy,
      scalingActivities: [
        {
          at: "2026-11-20T10:05:14Z",
          status: "Failed",
          description:
            "Launching a new EC2 instance.  Status Reason: Your requested instance type (t3.micro) is not supported in your requested Availability Zone (eu-west-1c). Launching EC2 instance failed.",
          statusMessage:
            "Your requested instance type (t3.micro) is not supported in your requested Availability Zone (eu-west-1c).",
        },
        {
          at: "2026-11-20T10:07:30Z",
          status: "Cancelled",
          description: "Launching a new EC2 instance",
          statusMessage: "Instance refresh in progress.",
        },
      ],
    });
    expect(section(lines, "Auto Scaling")).toEqual([
      "Auto Scaling",
      "  2026-11-20T10:05:14Z Failed: Launching a new EC2 instance.  Status Reason: Your requested instance type (t3.micro) is not supported in your requested Availability Zone (eu-west-1c). Launching EC2 instance failed.",
      "  2026-11-20T10:07:30Z Cancelled: Launching a new EC2 instance",
      "    Instance refresh in progress.",
    ]);
  });
});

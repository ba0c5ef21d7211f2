import { describe, expect, it } from "vitest";
import { type Evidence, KNOWN_FAILURES, matchKnownFailures } from "../catalog.js";

const TG =
  "arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/platfo-api-1R8YV2K6Q3ZQ8/6d0ecf831eec9f09";
const IMAGE = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/platform/prod/api";

type Group = Evidence["stoppedTasks"][number];

function evidence(partial: Partial<Evidence>): Evidence {
  return {
    stoppedTasks: [],
    events: [],
    targetHealth: [],
    logLines: [],
    scalingActivities: [],
    ...partial,
  };
}

/** A task that never ran: the stopped reason and the container's reason say why. */
function failedToStart(reason: string, containerReason = reason): Group {
  return {
    reason,
    stopCode: "TaskFailedToStart",
    count: 3,
    containers: [{ name: "api", reason: containerReason }],
  };
}

function exited(exitCode: number, reason?: string, memory = 512): Group {
  return {
    reason: "Essential container in task exited",
    stopCode: "EssentialContainerExited",
    count: 3,
    containers: [{ name: "api", exitCode, memory, ...(reason ? { reason } : {}) }],
  };
}

/**
 * Real AWS texts, each quoted from the public thread cited next to its rule in catalog.ts (account
 * ids and names swapped for this platform's where the thread had its own), and the hint they give.
 */
const CASES: Array<[string, string, Evidence, RegExp, string?]> = [
  [
    "image-not-found",
    "a tag that was never pushed (Fargate)",
    evidence({
      stoppedTasks: [
        failedToStart(
          `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${IMAGE}:0f6b3cdf5e24: ${IMAGE}:0f6b3cdf5e24: not found`,
        ),
      ],
    }),
    /failed to resolve ref .*: not found/,
  ],
  [
    "image-not-found",
    "a manifest unknown to the registry (EC2)",
    evidence({
      stoppedTasks: [
        failedToStart(
          "CannotPullContainerError: Error response from daemon: manifest for nginx:0f6b3cdf5e24f0da3dd932acd84fd90e9786a522 not found",
        ),
      ],
    }),
    /manifest for nginx:.* not found/,
  ],
  [
    "image-pull-denied",
    "ECR answers 403",
    evidence({
      stoppedTasks: [
        failedToStart(
          `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${IMAGE}:latest: pulling from host 222222222222.dkr.ecr.eu-west-1.amazonaws.com failed with status code [manifests latest]: 403 Forbidden`,
        ),
      ],
    }),
    /403 Forbidden/,
  ],
  [
    "no-route-to-aws",
    "no public IP and no NAT (dial tcp i/o timeout)",
    evidence({
      stoppedTasks: [
        failedToStart(
          `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${IMAGE}@sha256:${"b".repeat(64)}: failed to do request: Head "https://222222222222.dkr.ecr.eu-west-1.amazonaws.com/v2/platform/prod/api/manifests/sha256:${"b".repeat(64)}": dial tcp 52.95.120.34:443: i/o timeout`,
        ),
      ],
    }),
    /dial tcp 52\.95\.120\.34:443: i\/o timeout/,
  ],
  [
    "no-route-to-aws",
    "the older agent's wording (Client.Timeout exceeded)",
    evidence({
      stoppedTasks: [
        failedToStart(
          "CannotPullContainerError: API error (500): Get https://222222222222.dkr.ecr.eu-west-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
        ),
      ],
    }),
    /Client\.Timeout exceeded/,
  ],
  [
    "no-route-to-aws",
    "secrets that time out (security group egress)",
    evidence({
      stoppedTasks: [
        failedToStart(
          "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:us-west-2:111111111111:secret:DBPasswordSecret-AbCdEf from secrets manager: RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.",
        ),
      ],
    }),
    /context deadline exceeded/,
  ],
  [
    "secrets-access-denied",
    "the execution role may not read an SSM parameter",
    evidence({
      stoppedTasks: [
        failedToStart(
          "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/platform-prod-app-api-ExecutionRole605A040B-6F5E4D3C2B1A/f83b93a4dc3442a18eaaf8c2a235cd37 is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:eu-west-1:222222222222:parameter/GOOGLE_CLIENT_ID because no identity-based policy allows the ssm:GetParameters action status code: 400, request id: 1adcb55f-f798-4503-b8a3-cd1533290001",
        ),
      ],
    }),
    /not authorized to perform: ssm:GetParameters/,
  ],
  [
    "secrets-access-denied",
    "a secret encrypted with a KMS key the role may not use",
    evidence({
      stoppedTasks: [
        failedToStart(
          "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-central-1:222222222222:secret:algo-dev-directus-secret20240626183203358800000004-EaPYTy from secrets manager: AccessDeniedException: Access to KMS is not allowed status code: 400, request id: a87a66d9-f839-4353-b8c2-9984b1465695",
        ),
      ],
    }),
    /Access to KMS is not allowed/,
  ],
  [
    "secret-not-found",
    "an SSM parameter that does not exist",
    evidence({
      stoppedTasks: [
        failedToStart(
          "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: /api//new-relic-license-key",
        ),
      ],
    }),
    /invalid ssm parameters: \/api\/\/new-relic-license-key/,
  ],
  [
    "log-driver-failed",
    "the log group is missing (EC2 and older Fargate)",
    evidence({
      stoppedTasks: [
        failedToStart(
          "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. status code: 400, request id: 7463029c-9f12-4e3f-b914-f",
        ),
      ],
    }),
    /The specified log group does not exist/,
  ],
  [
    "log-driver-failed",
    "logger args refused (Fargate 1.4)",
    evidence({
      stoppedTasks: [
        failedToStart(
          "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/ecs.task.minecraft-server/123456a999ee4b919 is not authorized to perform: logs:CreateLogStream",
        ),
      ],
    }),
    /failed to validate logger args/,
  ],
  [
    "role-not-assumable",
    "a role ECS may not assume",
    evidence({
      events: [
        "(service api) failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::222222222222:role/platform-prod-app-api-ExecutionRole605A040B-6F5E4D3C2B1A' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.).",
      ],
    }),
    /unable to assume the role/,
  ],
  [
    "exec-format-error",
    "an arm64 image on x86_64 Fargate",
    evidence({
      stoppedTasks: [exited(1)],
      logLines: ["exec /usr/local/bin/streamlit: exec format error"],
    }),
    /exec \/usr\/local\/bin\/streamlit: exec format error/,
  ],
  [
    "command-not-found",
    "a CMD that is not in the image",
    evidence({
      stoppedTasks: [
        failedToStart(
          'CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "node dist/server.js": executable file not found in $PATH: unknown',
        ),
      ],
    }),
    /executable file not found in \$PATH/,
  ],
  [
    "out-of-memory",
    "the container is killed for its memory",
    evidence({
      stoppedTasks: [exited(137, "OutOfMemoryError: Container killed due to memory usage")],
    }),
    /^container api was killed for using more memory than it has \(its limit is 512 MiB\): exit code 137, OutOfMemoryError: Container killed due to memory usage \(3 tasks\)$/,
  ],
  [
    "out-of-memory",
    "exit 137 of an essential container without a reason",
    evidence({ stoppedTasks: [exited(137, undefined, 1024)] }),
    /its limit is 1024 MiB\): exit code 137/,
  ],
  [
    "out-of-memory",
    "Node's heap limit in the log",
    evidence({
      stoppedTasks: [exited(134)],
      logLines: [
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
      ],
    }),
    /JavaScript heap out of memory/,
  ],
  [
    "privileged-port",
    "a non-root image on port 80",
    evidence({
      stoppedTasks: [exited(1)],
      logLines: ["Error: listen EACCES: permission denied 0.0.0.0:80"],
    }),
    /listen EACCES: permission denied 0\.0\.0\.0:80/,
  ],
  [
    "spot-interruption",
    "Fargate Spot takes its capacity back",
    evidence({
      stoppedTasks: [
        {
          reason: "Your Spot Task was interrupted.",
          stopCode: "SpotInterruption",
          count: 1,
          containers: [{ name: "api", exitCode: 0 }],
        },
      ],
    }),
    /^Your Spot Task was interrupted\. \[SpotInterruption\] \(1 task\)$/,
  ],
  [
    "fargate-quota",
    "the task count quota",
    evidence({
      events: [
        "(service api) was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently. For more information, see the Troubleshooting section.",
      ],
    }),
    /reached the limit on the number of tasks/,
  ],
  [
    "fargate-quota",
    "the vCPU quota (with the typographic apostrophe ECS writes)",
    evidence({
      events: [
        "(service api) was unable to place a task. Reason: You’ve reached the limit on the number of vCPUs you can run concurrently",
      ],
    }),
    /number of vCPUs/,
  ],
  [
    "fargate-capacity-unavailable",
    "Fargate has no capacity",
    evidence({
      events: [
        "(service api) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ],
    }),
    /Capacity is unavailable at this time/,
  ],
  [
    "instance-memory",
    "a 1 GiB task on t3.micro instances, with the numbers",
    evidence({
      events: [
        "(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ],
      task: { memory: 1024, cpu: 256, networkMode: "bridge" },
      instances: [
        {
          id: "5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a",
          instanceType: "t3.micro",
          registeredMemory: 944,
          remainingMemory: 432,
        },
        {
          id: "a0b1c2d3e4f5467890abcdef12345678",
          instanceType: "t3.micro",
          registeredMemory: 944,
          remainingMemory: 944,
        },
      ],
    }),
    /^the task needs 1024 MiB; the largest free memory on an instance is 944 MiB \(t3\.micro, 944 MiB registered in all\); so the task can never fit this instance type, even on an empty instance \(ECS: "The closest matching \(container-instance 5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a\) has insufficient memory available\."\)$/,
  ],
  [
    "instance-memory",
    "the older RESOURCE:MEMORY wording, without numbers",
    evidence({
      events: [
        'service api was unable to place a task because no container instance met all of its requirements. The closest matching container-instance 1a2b3c4d encountered error "RESOURCE:MEMORY". For more information, see the Troubleshooting section.',
      ],
    }),
    /RESOURCE:MEMORY/,
  ],
  [
    "instance-cpu",
    "not enough CPU units",
    evidence({
      events: [
        "(service clouddriver-dev-v0013) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance b2db08b9-0e55-4f7e-8331-f9fb0a707938) has insufficient CPU units available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ],
      task: { cpu: 1024 },
      instances: [
        {
          id: "b2db08b9-0e55-4f7e-8331-f9fb0a707938",
          instanceType: "t3.small",
          registeredCpu: 2048,
          remainingCpu: 512,
        },
      ],
    }),
    /^the task needs 1024 CPU units; the largest free CPU on an instance is 512 CPU units \(t3\.small, 2048 CPU units registered in all\)/,
  ],
  [
    "host-port-in-use",
    "a static host port on one instance",
    evidence({
      events: [
        "service alpha-retool-main-service was unable to place a task because no container instance met all of its requirements. The closest matching container-instance 8e3f313316294514a404f0fa5b27e551 is already using a port required by your task. For more information, see the Troubleshooting section.",
      ],
    }),
    /already using a port required by your task/,
  ],
  [
    "eni-limit",
    "awsvpc tasks on small instances",
    evidence({
      events: [
        'service appmesh-dev-ecs-colorapp-TcpEchoService-14M0PCTB9QFKJ was unable to place a task because no container instance met all of its requirements. The closest matching container-instance acf43593-6b86-4838-86e5-46d896fdc8b3 encountered error "RESOURCE:ENI". For more information, see the Troubleshooting section.',
      ],
    }),
    /RESOURCE:ENI/,
  ],
  [
    "instance-attribute-missing",
    "an attribute no instance has",
    evidence({
      events: [
        "service [test2-app] was unable to place a task because no container instance met all of its requirements. The closest matching container-instance [9f8e7d6c] is missing an attribute required by your task. For more information, see the Troubleshooting section.",
      ],
    }),
    /missing an attribute required by your task/,
  ],
  [
    "no-container-instances",
    "an empty capacity provider",
    evidence({
      events: [
        "service ComfyUIStack-ComfyUIService6B91FEDA-6l6z6AJugL5Q was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your capacity provider. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ],
    }),
    /No Container Instances were found in your capacity provider/,
  ],
  [
    "capacity-launch-failed",
    "the instance launch fails on the vCPU limit",
    evidence({
      events: [
        "service hexo-discord-diffusion-prod was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ],
      scalingActivities: [
        {
          status: "Failed",
          description:
            "Launching a new EC2 instance.  Status Reason: You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. Launching EC2 instance failed.",
          cause:
            "At 2026-11-20T10:05:12Z a monitor alarm TargetTracking-platform-prod-Ec2CapacityAsg-AlarmHigh in state ALARM triggered policy ECSManagedAutoScalingPolicy changing the desired capacity from 0 to 1.",
          statusMessage:
            "You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.",
        },
      ],
    }),
    /^Failed: You have requested more vCPU capacity than your current vCPU limit of 0/,
  ],
  [
    "capacity-at-maximum",
    "the Auto Scaling group is at its maximum",
    evidence({
      events: [
        "(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 5d6f1e2a9b3c4d8e8f7a6b5c4d3e2f1a) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ],
      autoScalingGroups: [
        { name: "platform-prod-Ec2CapacityAsg", desired: 2, max: 2, instances: 2 },
      ],
    }),
    /^the Auto Scaling group platform-prod-Ec2CapacityAsg is at its maximum \(2 of 2 instances\)/,
    // the task that does not fit is the cause; the full group is why it cannot be made to
    "instance-memory",
  ],
  [
    "essential-container-exited",
    "the app exits with 1",
    evidence({ stoppedTasks: [exited(1)], logLines: ["Error: DATABASE_URL is required"] }),
    /^container api exited with code 1 in 3 tasks; its last log lines are in the report$/,
  ],
  [
    "essential-container-exited",
    "a segfault (exit 139)",
    evidence({ stoppedTasks: [exited(139)] }),
    /exited with code 139/,
  ],
  [
    "health-check-path",
    "the target group checks a path the app does not serve",
    evidence({
      targetHealth: [
        {
          state: "unhealthy",
          reason: "Target.ResponseCodeMismatch",
          description: "Health checks failed with these codes: [404]",
          healthCheckPath: "/health",
          port: 8080,
        },
      ],
    }),
    /^Target\.ResponseCodeMismatch: Health checks failed with these codes: \[404\] \(health check GET \/health\) — The app answered GET \/health with 404 instead of 200/,
  ],
  [
    "health-check-path",
    "only the service event is left (the tasks are gone)",
    evidence({
      events: [
        "(service XXX) (instance i-XXX) (port 32875) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/devel-Targe-1111111111111/1111111111111111) due to (reason Health checks failed with these codes: [400])",
      ],
      targetGroups: [{ name: "devel-Targe-1111111111111", healthCheckPath: "/" }],
    }),
    /The app answered GET \/ with 400 instead of 200/,
  ],
  [
    "health-check-error",
    "the health route answers 503",
    evidence({
      events: [
        `(service api-service) (task 9d85800c30b349039d104d52b506b930) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [503]).`,
      ],
    }),
    /these codes: \[503\].*reports itself unhealthy/,
  ],
  [
    "health-check-unreachable",
    "the health check times out (wrong port, or 127.0.0.1)",
    evidence({
      targetHealth: [
        {
          state: "unhealthy",
          reason: "Target.Timeout",
          description: "Request timed out",
          port: 8080,
        },
      ],
    }),
    /^Target\.Timeout: Request timed out — The load balancer got no answer in time/,
  ],
  [
    "health-check-unreachable",
    "the load balancer cannot connect",
    evidence({
      events: [
        `(service civictechjobs-fullstack-stage) (port 8000) is unhealthy in (target-group ${TG}) due to (reason Health checks failed).`,
      ],
    }),
    /could not connect to the app/,
  ],
  [
    "container-health-check",
    "the task definition's health check fails",
    evidence({
      stoppedTasks: [
        {
          reason: "Task failed container health checks",
          stopCode: "ServiceSchedulerInitiated",
          count: 2,
          containers: [{ name: "api", exitCode: 143 }],
        },
      ],
      events: [
        "(service task-service) (task b5067ed30cc5431d89fe74c47fd9981f) failed container health checks.",
      ],
    }),
    /Task failed container health checks/,
  ],
  [
    "health-check-failed",
    "ECS stopped tasks for the load balancer, no target left to ask",
    evidence({
      stoppedTasks: [
        {
          reason: `Task failed ELB health checks in (target-group ${TG})`,
          stopCode: "ServiceSchedulerInitiated",
          count: 3,
          containers: [{ name: "api", exitCode: 0 }],
        },
      ],
    }),
    /^Task failed ELB health checks in \(target-group/,
  ],
  [
    "circuit-breaker-rollback",
    "the circuit breaker rolled back",
    evidence({
      deployment: {
        rolloutState: "FAILED",
        rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
        failedTasks: 3,
      },
      events: [
        "(service api) (deployment ecs-svc/4829108533749205167) deployment failed: tasks failed to start.",
        "(service api) rolling back to deployment ecs-svc/2284609817735627354.",
      ],
    }),
    /^ECS deployment circuit breaker: tasks failed to start\. \(service api\) rolling back to deployment ecs-svc\/2284609817735627354\.$/,
  ],
];

describe("KNOWN_FAILURES", () => {
  it("has a test with real AWS text for every entry", () => {
    const tested = new Set(CASES.map(([id]) => id));
    expect(KNOWN_FAILURES.map((failure) => failure.id).filter((id) => !tested.has(id))).toEqual([]);
  });

  it("has unique ids and fixes that name what to change", () => {
    const ids = KNOWN_FAILURES.map((failure) => failure.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const failure of KNOWN_FAILURES) {
      expect(failure.fix, failure.id).toMatch(
        /deploy\.json|platform\.config\.json|Dockerfile|cdk deploy|deploy-kit|Service Quotas|aws ssm|release again|\$PORT/,
      );
    }
  });
});

describe("matchKnownFailures", () => {
  it.each(CASES)("%s: %s", (id, _case, shown, text, headline = id) => {
    const hints = matchKnownFailures(shown);
    const hint = hints.find((h) => h.id === id);
    expect(hint, `hints: ${hints.map((h) => h.id).join(", ")}`).toBeDefined();
    expect(hint?.evidence).toMatch(text);
    expect(hint?.fix).toBe(KNOWN_FAILURES.find((f) => f.id === id)?.fix);
    // and it is the headline unless a stronger cause is in the same evidence
    expect(hints[0]?.id).toBe(headline);
  });

  it("finds nothing in a healthy service", () => {
    expect(
      matchKnownFailures(
        evidence({
          deployment: {
            rolloutState: "COMPLETED",
            rolloutStateReason: "ECS deployment ecs-svc/1 completed.",
            failedTasks: 0,
          },
          events: [
            "(service api) has reached a steady state.",
            "(service api) (deployment ecs-svc/1) deployment completed.",
          ],
          targetHealth: [
            {
              state: "initial",
              reason: "Elb.InitialHealthChecking",
              description: "Initial health checks in progress",
            },
          ],
          logLines: ['{"level":"info","msg":"listening","port":8080}'],
        }),
      ),
    ).toEqual([]);
  });

  it("puts the cause before its consequences", () => {
    const hints = matchKnownFailures(
      evidence({
        deployment: {
          rolloutState: "FAILED",
          rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
          failedTasks: 3,
        },
        stoppedTasks: [exited(137, "OutOfMemoryError: Container killed due to memory usage")],
        events: ["(service api) rolling back to deployment ecs-svc/2284609817735627354."],
      }),
    );
    expect(hints.map((h) => h.id)).toEqual(["out-of-memory", "circuit-breaker-rollback"]);
  });

  it("says nothing more when the load balancer's reason is known", () => {
    const hints = matchKnownFailures(
      evidence({
        stoppedTasks: [
          {
            reason: `Task failed ELB health checks in (target-group ${TG})`,
            stopCode: "ServiceSchedulerInitiated",
            count: 3,
            containers: [{ name: "api", exitCode: 0 }],
          },
        ],
        targetHealth: [
          {
            state: "unhealthy",
            reason: "Target.ResponseCodeMismatch",
            description: "Health checks failed with these codes: [404]",
          },
        ],
      }),
    );
    expect(hints.map((h) => h.id)).toEqual(["health-check-path"]);
  });

  it("does not take the kill after a failed health check for running out of memory", () => {
    const hints = matchKnownFailures(
      evidence({
        stoppedTasks: [
          {
            reason: `Task failed ELB health checks in (target-group ${TG})`,
            stopCode: "ServiceSchedulerInitiated",
            count: 3,
            containers: [{ name: "api", exitCode: 137 }],
          },
        ],
      }),
    );
    expect(hints.map((h) => h.id)).toEqual(["health-check-failed"]);
  });

  it("reads docker's 'repository does not exist or may require docker login' as a missing image", () => {
    const hints = matchKnownFailures(
      evidence({
        stoppedTasks: [
          failedToStart(
            "CannotPullContainerError: Error response from daemon: pull access denied for 831759287394.dkr.ecr.us-west-2.amazonaws.com/amberwing-sidecar, repository does not exist or may require 'docker login': denied",
          ),
        ],
      }),
    );
    expect(hints.map((h) => h.id)).toEqual(["image-not-found"]);
  });

  it("names the container that failed, not a sidecar that stopped cleanly", () => {
    const [hint] = matchKnownFailures(
      evidence({
        stoppedTasks: [
          {
            reason: "Essential container in task exited",
            stopCode: "EssentialContainerExited",
            count: 1,
            containers: [
              { name: "api", exitCode: 1 },
              { name: "aws-otel-collector", exitCode: 0 },
            ],
          },
        ],
      }),
    );
    expect(hint?.evidence).toMatch(/^container api exited with code 1 in 1 task/);
  });

  it("names the exec format error before the exit it causes", () => {
    const hints = matchKnownFailures(
      evidence({
        stoppedTasks: [exited(1)],
        logLines: ["exec /nodejs/bin/node: exec format error"],
      }),
    );
    expect(hints.map((h) => h.id)).toEqual(["exec-format-error", "essential-container-exited"]);
  });

  it("keeps the part that matched of a long text in the middle", () => {
    const [hint] = matchKnownFailures(
      evidence({
        stoppedTasks: [
          failedToStart(
            `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ${"y".repeat(300)} AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/x is not authorized to perform: ssm:GetParameters ${"z".repeat(300)}`,
          ),
        ],
      }),
    );
    expect(hint?.id).toBe("secrets-access-denied");
    expect(hint?.evidence).toMatch(
      /^ResourceInitializationError: unable to pull secrets .* … y+ AccessDeniedException: .* is not authorized to perform: ssm:GetParameters z+ …$/,
    );
    expect(hint?.evidence.length).toBeLessThanOrEqual(500);
  });

  it("keeps long AWS texts short enough for a CI log", () => {
    const [hint] = matchKnownFailures(
      evidence({
        stoppedTasks: [failedToStart(`CannotPullContainerError: ${"x".repeat(900)} not found`)],
      }),
    );
    expect(hint?.evidence.length).toBeLessThanOrEqual(500);
    // the cause is at the end of AWS's texts: both ends stay
    expect(hint?.evidence).toMatch(/^CannotPullContainerError: x+ … x+ not found$/);
  });
});

import { setTimeout as pause } from "node:timers/promises";
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type Service,
} from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { AwsClients } from "./clients.js";
import { nextDelay, withThrottlingRetry } from "./retry.js";

export interface DeploymentProgress {
  rolloutState: string;
  rolloutStateReason?: string;
  desired: number;
  running: number;
  pending: number;
  failed: number;
  /** New tasks the target group reports healthy (when the service has one). */
  healthyTargets?: number;
}

export type WatchOutcome =
  | { kind: "completed"; progress: DeploymentProgress }
  | { kind: "failed"; reason: string; rolledBack: boolean; progress?: DeploymentProgress }
  | { kind: "timeout"; progress?: DeploymentProgress }
  | { kind: "interrupted"; progress?: DeploymentProgress };

export interface WatchInput {
  cluster: string;
  service: string;
  /** The deployment this release created: success and failure are its own states. */
  deploymentId: string;
  /** Events before this moment belong to earlier releases. */
  since: Date;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Also wait for the target group to call the new tasks healthy. @default true */
  checkTargets?: boolean;
}

export interface WatchDeps {
  clients: AwsClients;
  onProgress?: (progress: DeploymentProgress) => void;
  onEvent?: (event: { at: Date; message: string }) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Counts every AWS call, for the figures. */
  onCall?: (name: string) => void;
  /** Poll interval bounds. @default 3 s .. 15 s */
  minDelayMs?: number;
  maxDelayMs?: number;
}

// Ends early on Ctrl-C; the loop then sees the signal. Node's timer removes its abort listener
// when it fires: one added per poll and never removed would pile up on the signal (and make Node
// warn of a leak after ten polls).
const abortableSleep = (ms: number, signal?: AbortSignal) =>
  pause(ms, undefined, signal ? { signal } : {}).catch(() => undefined);

/**
 * Follows one deployment until it ends. Success: the deployment is COMPLETED with running ==
 * desired and (if the service has a load balancer) the target group calls every new task healthy.
 * Failure: FAILED, or the deployment disappears because the circuit breaker rolled it back.
 * Polls with jittered backoff (about 4 to 8 calls a minute), prints each new service event once.
 */
export async function watchDeployment(input: WatchInput, deps: WatchDeps): Promise<WatchOutcome> {
  const { clients } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => abortableSleep(ms, input.signal));
  const random = deps.random ?? Math.random;
  const call = <T>(name: string, run: () => Promise<T>) => {
    deps.onCall?.(name);
    return withThrottlingRetry(run, { sleep, random });
  };
  const deadline = now() + input.timeoutMs;
  const seen = new Set<string>();
  let delay = 0;
  let last: DeploymentProgress | undefined;
  let lastKey = "";

  for (;;) {
    if (input.signal?.aborted) return { kind: "interrupted", ...(last ? { progress: last } : {}) };
    const described = await call("ecs:DescribeServices", () =>
      clients.ecs.send(
        new DescribeServicesCommand({ cluster: input.cluster, services: [input.service] }),
      ),
    );
    const service = described.services?.[0];
    if (!service)
      return {
        kind: "failed",
        reason: `the service ${input.service} disappeared`,
        rolledBack: false,
      };

    const events = (service.events ?? [])
      .filter(
        (event) =>
          event.id && !seen.has(event.id) && event.createdAt && event.createdAt >= input.since,
      )
      .reverse();
    for (const event of events) {
      seen.add(event.id as string);
      deps.onEvent?.({ at: event.createdAt as Date, message: event.message ?? "" });
    }

    const deployment = service.deployments?.find((d) => d.id === input.deploymentId);
    if (!deployment) {
      const rolledBack = (service.events ?? []).some(
        (event) =>
          event.message?.includes(input.deploymentId) &&
          /rolling back|rolled back/i.test(event.message),
      );
      return {
        kind: "failed",
        rolledBack,
        reason: rolledBack
          ? "the deployment circuit breaker rolled it back"
          : "another deployment replaced it",
        ...(last ? { progress: last } : {}),
      };
    }
    const progress: DeploymentProgress = {
      rolloutState: deployment.rolloutState ?? "IN_PROGRESS",
      ...(deployment.rolloutStateReason
        ? { rolloutStateReason: deployment.rolloutStateReason }
        : {}),
      desired: deployment.desiredCount ?? 0,
      running: deployment.runningCount ?? 0,
      pending: deployment.pendingCount ?? 0,
      failed: deployment.failedTasks ?? 0,
    };

    if (progress.rolloutState === "FAILED") {
      const rolledBack = (service.deployments ?? []).some(
        (d) => d.id !== input.deploymentId && d.status === "PRIMARY",
      );
      report(progress);
      return {
        kind: "failed",
        reason: progress.rolloutStateReason ?? "ECS marked the deployment FAILED",
        rolledBack,
        progress,
      };
    }
    if (progress.rolloutState === "COMPLETED" && progress.running === progress.desired) {
      if (input.checkTargets === false || !service.loadBalancers?.length) {
        report(progress);
        return { kind: "completed", progress };
      }
      const healthy = await healthyNewTargets(clients, input, service, call);
      progress.healthyTargets = healthy.healthy;
      report(progress);
      if (healthy.healthy >= healthy.expected) return { kind: "completed", progress };
    } else {
      report(progress);
    }

    if (now() >= deadline) return { kind: "timeout", progress };
    delay = nextDelay(delay, deps.minDelayMs ?? 3_000, deps.maxDelayMs ?? 15_000, random);
    await sleep(Math.min(delay, Math.max(0, deadline - now())));
  }

  function report(progress: DeploymentProgress) {
    last = progress;
    const key = JSON.stringify(progress);
    if (key !== lastKey) deps.onProgress?.(progress);
    lastKey = key;
  }
}

/**
 * How many of the deployment's running tasks the load balancer calls healthy. Tasks a service
 * starts carry the deployment's id in `startedBy`; their targets are the task's IP (awsvpc) or
 * the instance and dynamic host port (bridge).
 */
async function healthyNewTargets(
  clients: AwsClients,
  input: WatchInput,
  service: Service,
  call: <T>(name: string, run: () => Promise<T>) => Promise<T>,
): Promise<{ healthy: number; expected: number }> {
  const listed = await call("ecs:ListTasks", () =>
    clients.ecs.send(
      new ListTasksCommand({
        cluster: input.cluster,
        serviceName: input.service,
        desiredStatus: "RUNNING",
      }),
    ),
  );
  if (!listed.taskArns?.length) return { healthy: 0, expected: 1 };
  const described = await call("ecs:DescribeTasks", () =>
    clients.ecs.send(new DescribeTasksCommand({ cluster: input.cluster, tasks: listed.taskArns })),
  );
  const tasks = (described.tasks ?? []).filter(
    (task) => task.startedBy === input.deploymentId && task.lastStatus === "RUNNING",
  );
  if (!tasks.length) return { healthy: 0, expected: 1 };

  const instances = new Map<string, string>();
  const instanceArns = [
    ...new Set(
      tasks.map((task) => task.containerInstanceArn).filter((arn): arn is string => Boolean(arn)),
    ),
  ];
  if (instanceArns.length) {
    const found = await call("ecs:DescribeContainerInstances", () =>
      clients.ecs.send(
        new DescribeContainerInstancesCommand({
          cluster: input.cluster,
          containerInstances: instanceArns,
        }),
      ),
    );
    for (const instance of found.containerInstances ?? []) {
      if (instance.containerInstanceArn && instance.ec2InstanceId)
        instances.set(instance.containerInstanceArn, instance.ec2InstanceId);
    }
  }

  let healthy = 0;
  let expected = 0;
  for (const balancer of service.loadBalancers ?? []) {
    if (!balancer.targetGroupArn) continue;
    const wanted = tasks.map((task) => {
      const container = task.containers?.find((c) => c.name === balancer.containerName);
      const binding = container?.networkBindings?.find(
        (b) => b.containerPort === balancer.containerPort,
      );
      if (binding?.hostPort && task.containerInstanceArn) {
        return { id: instances.get(task.containerInstanceArn) ?? "", port: binding.hostPort };
      }
      const ip = task.attachments
        ?.find((attachment) => attachment.type === "ElasticNetworkInterface")
        ?.details?.find((detail) => detail.name === "privateIPv4Address")?.value;
      return { id: ip ?? "", port: balancer.containerPort ?? 0 };
    });
    expected += wanted.length;
    const health = await call("elasticloadbalancing:DescribeTargetHealth", () =>
      clients.elb.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: balancer.targetGroupArn }),
      ),
    );
    for (const target of wanted) {
      const match = health.TargetHealthDescriptions?.find(
        (description) =>
          description.Target?.Id === target.id && description.Target?.Port === target.port,
      );
      if (match?.TargetHealth?.State === "healthy") healthy += 1;
    }
  }
  return { healthy, expected };
}

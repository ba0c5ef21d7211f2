/**
 * ECS service events, decoded. The scheduler writes them in its own shorthand ("(service api) was
 * unable to place a task because no container instance met all of its requirements. The closest
 * matching container-instance 4f1c... has insufficient memory available."); this module dedupes
 * them and says what they mean, with the numbers when the caller knows them.
 *
 * The message texts matched here are the ones ECS really writes, as listed in the ECS developer
 * guide ("Amazon ECS service event messages") and quoted in the issue threads cited in catalog.ts.
 */

/** A container instance of the cluster, reduced to what placement is decided on. */
export interface InstanceCapacity {
  /** The container instance id (the last part of its ARN). */
  id: string;
  instanceType?: string;
  /** MiB the instance offers to tasks in all. */
  registeredMemory?: number;
  /** MiB still free for more tasks. */
  remainingMemory?: number;
  /** CPU units the instance offers to tasks in all (1024 per vCPU). */
  registeredCpu?: number;
  remainingCpu?: number;
}

/** What the explanations can quote: the task's size and the instances it could go to. */
export interface PlacementContext {
  /** MiB one task of the deployment reserves. */
  taskMemory?: number;
  /** CPU units one task of the deployment reserves. */
  taskCpu?: number;
  networkMode?: string;
  /** The cluster's container instances (EC2 capacity only). */
  instances?: InstanceCapacity[];
  /** The path the load balancer's health check requests, when the service has one target group. */
  healthCheckPath?: string;
}

export interface RawServiceEvent {
  createdAt?: Date;
  message?: string;
}

export interface DecodedEvent {
  /** ISO time of the first occurrence after `since`. */
  at: string;
  message: string;
  explanation?: string;
  /** How often the same event was written (task ids aside), when more than once. */
  count?: number;
  /** ISO time of the last occurrence, when written more than once. */
  lastAt?: string;
}

/** What ECS writes when no instance has enough free memory, or CPU, for a task. */
export const PLACEMENT_SHORTFALL = {
  memory: /insufficient memory available|RESOURCE:MEMORY/i,
  cpu: /insufficient CPU units available|RESOURCE:CPU/i,
} as const;

/** True when the message is a placement failure for lack of memory or CPU (worth the numbers). */
export function isResourcePlacementFailure(message: string): boolean {
  return PLACEMENT_SHORTFALL.memory.test(message) || PLACEMENT_SHORTFALL.cpu.test(message);
}

/**
 * The same event with the parts that differ per task taken out, so that "(task 1a2b...) failed
 * container health checks" for ten tasks counts as one event written ten times.
 */
export function eventKey(message: string): string {
  return message
    .replace(/\b[0-9a-f]{32}\b/g, "<id>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<id>")
    .replace(/\bi-[0-9a-f]{8,17}\b/g, "<instance>")
    .replace(/\(port \d+\)/g, "(port <n>)")
    .replace(/\b(has started|has stopped|stopped|registered|deregistered) \d+ /g, "$1 <n> ")
    .replace(/(\(task <id>\)\s*)+/g, "(task <id>) ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The events written at or after `since`, oldest first, each once with how often it was written.
 * ECS returns up to 100 events, newest first.
 */
export function newEvents(
  events: readonly RawServiceEvent[],
  since: Date,
  context: PlacementContext = {},
): DecodedEvent[] {
  // ECS lists events newest first; reversed before the stable sort, events of the same
  // millisecond keep the order they happened in.
  const kept = [...events]
    .reverse()
    .filter((event): event is { createdAt: Date; message: string } =>
      Boolean(event.message && event.createdAt && event.createdAt.getTime() >= since.getTime()),
    )
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const byKey = new Map<string, DecodedEvent>();
  for (const event of kept) {
    const key = eventKey(event.message);
    const seen = byKey.get(key);
    if (seen) {
      seen.count = (seen.count ?? 1) + 1;
      seen.lastAt = iso(event.createdAt);
      continue;
    }
    const decoded: DecodedEvent = { at: iso(event.createdAt), message: event.message };
    const explanation = explainServiceEvent(event.message, context);
    if (explanation) decoded.explanation = explanation;
    byKey.set(key, decoded);
  }
  return [...byKey.values()];
}

/** ISO 8601 to the second: what a CI log needs, nothing more. */
export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function largest(
  instances: readonly InstanceCapacity[] | undefined,
  field: "remainingMemory" | "remainingCpu",
): InstanceCapacity | undefined {
  let best: InstanceCapacity | undefined;
  for (const instance of instances ?? []) {
    const value = instance[field];
    if (value === undefined) continue;
    if (!best || value > (best[field] ?? -1)) best = instance;
  }
  return best;
}

/** "the task needs 1024 MiB; the largest free memory on an instance is 944 MiB (t3.micro, ...)" */
export function describeShortfall(
  resource: "memory" | "cpu",
  context: PlacementContext,
): string | undefined {
  const memory = resource === "memory";
  const need = memory ? context.taskMemory : context.taskCpu;
  const unit = memory ? "MiB" : "CPU units";
  const best = largest(context.instances, memory ? "remainingMemory" : "remainingCpu");
  const parts: string[] = [];
  if (need !== undefined) parts.push(`the task needs ${need} ${unit}`);
  if (best) {
    const free = memory ? best.remainingMemory : best.remainingCpu;
    const registered = memory ? best.registeredMemory : best.registeredCpu;
    const what = memory ? "free memory" : "free CPU";
    const about = [
      best.instanceType,
      registered === undefined ? undefined : `${registered} ${unit} registered in all`,
    ]
      .filter(Boolean)
      .join(", ");
    parts.push(
      `the largest ${what} on an instance is ${free} ${unit}${about ? ` (${about})` : ""}`,
    );
    const most = Math.max(
      ...(context.instances ?? []).map((i) => (memory ? i.registeredMemory : i.registeredCpu) ?? 0),
    );
    if (need !== undefined && most > 0 && need > most) {
      parts.push("so the task can never fit this instance type, even on an empty instance");
    }
  }
  return parts.length ? parts.join("; ") : undefined;
}

/** The HTTP codes in "Health checks failed with these codes: [404]", e.g. "404". */
export function healthCheckCodes(text: string): string | undefined {
  return /Health checks failed with these codes: \[([^\]]*)\]/.exec(text)?.[1];
}

/** The reason in a service event "(task ...) (port ...) is unhealthy in (target-group ...) due to (reason ...)". */
export function unhealthyEventReason(message: string): string | undefined {
  return /is unhealthy in \(target-group [^)]*\) due to \(reason (.*?)\)\.?\s*$/i.exec(
    message,
  )?.[1];
}

/** What the load balancer's health check reason means for an app behind it. */
export function explainHealthReason(reason: string, path?: string): string | undefined {
  const check = path ? `GET ${path}` : "the health check request";
  const codes = healthCheckCodes(reason);
  if (codes) {
    if (/\b5\d\d\b/.test(codes)) {
      return `The app answered ${check} with ${codes}: it runs, but reports itself unhealthy or fails on that route.`;
    }
    return `The app answered ${check} with ${codes} instead of 200: the health check path is wrong (or needs a redirect or login).`;
  }
  if (/Request timed out|Target\.Timeout/i.test(reason)) {
    return "The load balancer got no answer in time: the app does not listen on the task's port, listens on 127.0.0.1 instead of 0.0.0.0, or is still starting.";
  }
  if (/Health checks failed|Target\.FailedHealthChecks/i.test(reason)) {
    return "The load balancer could not connect to the app: nothing listens on the task's port (wrong port, or the process exited), or a security group blocks it.";
  }
  return undefined;
}

/**
 * Plain words for one service event, or undefined when it says what it means already (steady
 * state, tasks started, targets registered).
 */
export function explainServiceEvent(
  message: string,
  context: PlacementContext = {},
): string | undefined {
  if (PLACEMENT_SHORTFALL.memory.test(message)) {
    const numbers = describeShortfall("memory", context);
    return `No EC2 instance has enough free memory for another task${numbers ? `: ${numbers}` : ""}.`;
  }
  if (PLACEMENT_SHORTFALL.cpu.test(message)) {
    const numbers = describeShortfall("cpu", context);
    return `No EC2 instance has enough free CPU for another task${numbers ? `: ${numbers}` : ""}.`;
  }
  if (/already using a port required by your task|RESOURCE:PORTS/i.test(message)) {
    return "The task asks for a fixed host port that a running task on the instance already holds, so each instance runs one task and a rolling update has nowhere to put the new one.";
  }
  if (/RESOURCE:ENI/i.test(message)) {
    return "Each awsvpc task needs a network interface of its own and the instances have none left (small instance types have few: a t3.micro has 2, one used by the instance itself).";
  }
  if (/No Container Instances were found in your (cluster|capacity provider)/i.test(message)) {
    return "No EC2 instance is registered in the cluster, so there is nowhere to run the task: the Auto Scaling group started none, or they could not join.";
  }
  if (/is missing an attribute required by your task/i.test(message)) {
    return "The instances lack something the task definition requires (CPU architecture, a logging driver or capability, or for awsvpc an instance in the service's subnets).";
  }
  if (/encountered error "AGENT"/i.test(message)) {
    return "The ECS agent on the instance is disconnected, so ECS cannot place tasks on it.";
  }
  if (/reached the limit on the number of (tasks|spot tasks|vCPUs)/i.test(message)) {
    return "The account's Fargate quota in this region is used up: ECS will not start more tasks until others stop or the quota is raised.";
  }
  if (/requested (CPU|MEMORY) configuration is above your limit/i.test(message)) {
    return "The task's size is above what the account may run on Fargate in this region.";
  }
  if (/Capacity is unavailable at this time/i.test(message)) {
    return "Fargate had no capacity for the task in its zones at that moment.";
  }
  if (/unable to assume the role/i.test(message)) {
    return "ECS could not assume the task's IAM role: the role is missing or its trust policy does not allow ecs-tasks.amazonaws.com.";
  }
  if (/deployment failed: tasks failed to start/i.test(message)) {
    return "The deployment circuit breaker gave up on this release after repeated task failures.";
  }
  const rollback = /rolling back to deployment (ecs-svc\/\d+)/i.exec(message);
  if (rollback) {
    return `ECS is going back to the previous deployment (${rollback[1]}): the release did not go out and the app keeps serving the old version.`;
  }
  const unhealthy = unhealthyEventReason(message);
  if (unhealthy) return explainHealthReason(unhealthy, context.healthCheckPath);
  if (/failed container health checks/i.test(message)) {
    return "The container's own health check command (in the task definition) kept failing, so ECS replaced the task.";
  }
  if (/is unable to consistently start tasks successfully/i.test(message)) {
    return "Tasks keep failing to start, so ECS now waits longer and longer between attempts.";
  }
  if (/operations are being throttled/i.test(message)) {
    return "ECS is being throttled by AWS API limits and will retry later.";
  }
  return undefined;
}

/**
 * Why a release failed, from every place AWS hides it: stopped tasks (reasons, exit codes),
 * service events, target health, the failed tasks' last log lines and, on EC2 capacity, the
 * Auto Scaling activities. Each source is gathered on its own; one that cannot be read (access
 * denied, throttled after the SDK's retries, a missing log stream) becomes a line in `gaps` and
 * the rest of the diagnosis goes on. Fetching is here; `formatDiagnosis` renders.
 */
import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
} from "@aws-sdk/client-auto-scaling";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  type ContainerInstance,
  type Deployment,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  type Service,
  type Task,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DeployError, EXIT } from "../errors.js";
import { GitHubActions } from "../github.js";
import { redactLines } from "../redact.js";
import { type Evidence, matchKnownFailures } from "./catalog.js";
import type { AwsClients } from "./clients.js";
import {
  type DecodedEvent,
  type InstanceCapacity,
  iso,
  isResourcePlacementFailure,
  newEvents,
  type PlacementContext,
} from "./events.js";

export interface DiagnoseInput {
  cluster: string;
  service: string;
  /**
   * The deployment this release created (ecs-svc/...). Default: the newest deployment the
   * circuit breaker failed after `since`, else the service's newest deployment (after a rollback
   * the newest is the rollback itself, which is not what anyone wants diagnosed).
   */
  deploymentId?: string;
  /** Only events, stopped tasks and activities after this moment (the release's start). Default: 1 hour ago. */
  since?: Date;
  /** How many log lines per failed task. @default 20 */
  logLines?: number;
  /**
   * The app, for the file paths in the fixes (apps/<app>/deploy.json).
   * @default the service's name: the platform names each service after its app
   */
  app?: string;
  /** The environment, for the settings in the fixes (environments.<env>.ec2...); "<env>" when not given. */
  environment?: string;
  /**
   * Called with each secret value taken out of the task logs, so that GitHub Actions masks it in
   * all later output. @default `::add-mask::` when GITHUB_ACTIONS=true (GitHubActions.mask)
   */
  mask?: (value: string) => void;
}

export interface Diagnosis {
  service: string;
  deployment?: {
    id: string;
    status: string;
    rolloutState?: string;
    rolloutStateReason?: string;
    taskDefinition: string;
    desired: number;
    running: number;
    pending: number;
    failedTasks: number;
  };
  /** Stopped tasks of the deployment, grouped by (stoppedReason, stopCode, container exit codes/reasons). */
  stoppedTasks: Array<{
    reason: string;
    stopCode?: string;
    count: number;
    taskIds: string[];
    containers: Array<{
      name: string;
      exitCode?: number;
      reason?: string;
      /** The container's memory limit in MiB (its own, else the task's). */
      memory?: number;
    }>;
  }>;
  /** New service events, oldest first, each once, with a plain-words explanation when decoded. */
  events: DecodedEvent[];
  /** Targets of the service's target group(s) that are not healthy, with reason and description. */
  targetHealth: Array<{
    target: string;
    port?: number;
    state: string;
    reason?: string;
    description?: string;
    /** The target group's name and what its health check asks for. */
    targetGroup?: string;
    healthCheckPath?: string;
    healthCheckPort?: string;
  }>;
  /** The last log lines of up to 3 failed tasks, found from the task definition's awslogs options. */
  logs: Array<{
    taskId: string;
    container: string;
    logStream: string;
    /** The CloudWatch Logs group the stream is in. */
    logGroup?: string;
    lines: string[];
  }>;
  /** Recent activities of the Auto Scaling group(s) behind the service's EC2 capacity providers. */
  scalingActivities: Array<{
    at: string;
    status: string;
    description: string;
    cause?: string;
    statusMessage?: string;
  }>;
  /** The Auto Scaling group(s) behind the service's EC2 capacity providers (none on Fargate). */
  autoScalingGroups?: Array<{
    name: string;
    min: number;
    max: number;
    desired: number;
    instances: number;
  }>;
  /** What one task reserves, from the task definition. */
  taskSize?: { cpu?: number; memory?: number; networkMode?: string };
  /** The service's target groups and what their health checks ask for. */
  targetGroups?: Array<{
    name: string;
    healthCheckPath?: string;
    healthCheckPort?: string;
    /** The HTTP codes counted as healthy, e.g. "200" or "200-399". */
    matcher?: string;
  }>;
  /** One hint per known failure matched, from the catalog, strongest first. */
  hints: Array<{ id: string; title: string; fix: string; evidence: string }>;
  /** Parts that could not be gathered (AccessDenied, etc.): said, not hidden. */
  gaps: string[];
}

const HOUR = 60 * 60 * 1000;
/** ListTasks and DescribeTasks both take 100 at most: one call each. */
const MAX_STOPPED_TASKS = 100;
const MAX_LOG_TASKS = 3;
const MAX_SCALING_ACTIVITIES = 20;
const FARGATE_PROVIDERS = new Set(["FARGATE", "FARGATE_SPOT"]);

/** The last part of an ARN: a task's or a container instance's id. */
const idOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

function errorText(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/** A gap line: what was not gathered, why, and what would let it be gathered. */
function gapLine(what: string, action: string, error: unknown): string {
  const { name, message } = errorText(error);
  let line = `${what}: ${name}${message && message !== name ? `: ${message}` : ""}`;
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) {
    line += ` (the identity deploy-kit runs as needs ${action})`;
  } else if (/Throttl|TooManyRequests|Rate exceeded/i.test(`${name} ${message}`)) {
    line +=
      " (still throttled after the SDK's retries; run `deploy-kit diagnose` again in a minute)";
  }
  return line;
}

/** Runs one source; a failure is a gap, never an exception. */
async function gather<T>(
  gaps: string[],
  what: string,
  action: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    gaps.push(gapLine(what, action, error));
    return undefined;
  }
}

async function describeService(clients: AwsClients, input: DiagnoseInput): Promise<Service> {
  const notFound = (detail: string) =>
    new DeployError(
      `The ECS service "${input.service}" was not found in the cluster "${input.cluster}"${detail}.`,
      {
        hint: "The app's stack creates the service: deploy it with `cdk deploy` in packages/infra, and check that --env names the environment (and the AWS account and region) the app was deployed to.",
        exitCode: EXIT.usage,
        code: "SERVICE_NOT_FOUND",
      },
    );
  let output: DescribeServicesCommandOutput;
  try {
    output = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: input.cluster, services: [input.service] }),
    );
  } catch (error) {
    if (errorText(error).name === "ClusterNotFoundException") {
      throw new DeployError(`The ECS cluster "${input.cluster}" does not exist.`, {
        hint: "The platform stack creates the cluster: deploy it with `cdk deploy` in packages/infra, and check that --env names the environment (and the AWS account and region) you meant.",
        exitCode: EXIT.usage,
        code: "CLUSTER_NOT_FOUND",
        cause: error,
      });
    }
    throw error;
  }
  const service = output.services?.[0];
  if (!service) {
    const reason = output.failures?.[0]?.reason;
    throw notFound(reason ? ` (ECS says ${reason})` : "");
  }
  if (service.status === "INACTIVE") throw notFound(" (it was deleted: its status is INACTIVE)");
  return service;
}

const newest = (a: Deployment, b: Deployment) =>
  (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0);

function pickDeployment(
  service: Service,
  id: string | undefined,
  since: Date,
): Deployment | undefined {
  const deployments = [...(service.deployments ?? [])].sort(newest);
  if (id) return deployments.find((deployment) => deployment.id === id);
  const failed = deployments.find(
    (d) => d.rolloutState === "FAILED" && (d.createdAt?.getTime() ?? 0) >= since.getTime(),
  );
  return failed ?? deployments[0];
}

function toNumber(value: string | number | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function taskSize(definition: TaskDefinition): Diagnosis["taskSize"] {
  const containers = definition.containerDefinitions ?? [];
  const sum = (pick: (c: (typeof containers)[number]) => number | undefined) => {
    const values = containers.map(pick).filter((v): v is number => v !== undefined);
    return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
  };
  const memory = toNumber(definition.memory) ?? sum((c) => c.memory ?? c.memoryReservation);
  const cpu = toNumber(definition.cpu) ?? sum((c) => (c.cpu ? c.cpu : undefined));
  return {
    ...(cpu === undefined ? {} : { cpu }),
    ...(memory === undefined ? {} : { memory }),
    ...(definition.networkMode ? { networkMode: definition.networkMode } : {}),
  };
}

/** The stopped tasks of the deployment since `since`, newest first. */
async function stoppedTasksOf(
  clients: AwsClients,
  input: DiagnoseInput,
  deploymentId: string | undefined,
  since: Date,
): Promise<Task[]> {
  // startedBy must be ListTasks' only filter, so the service is listed and the deployment's tasks
  // are picked by their startedBy (the deployment id) below.
  const listed = await clients.ecs.send(
    new ListTasksCommand({
      cluster: input.cluster,
      serviceName: input.service,
      desiredStatus: "STOPPED",
      maxResults: MAX_STOPPED_TASKS,
    }),
  );
  const arns = listed.taskArns ?? [];
  if (!arns.length) return [];
  const described = await clients.ecs.send(
    new DescribeTasksCommand({ cluster: input.cluster, tasks: arns.slice(0, MAX_STOPPED_TASKS) }),
  );
  return (described.tasks ?? [])
    .filter((task) => !deploymentId || task.startedBy === deploymentId)
    .filter(
      (task) => (task.stoppedAt ?? task.createdAt ?? new Date(0)).getTime() >= since.getTime(),
    )
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
}

function containerMemory(definition: TaskDefinition | undefined, name: string): number | undefined {
  const container = definition?.containerDefinitions?.find((c) => c.name === name);
  return container?.memory ?? toNumber(definition?.memory) ?? container?.memoryReservation;
}

function groupStoppedTasks(
  stopped: readonly Task[],
  definitions: ReadonlyMap<string, TaskDefinition>,
): Diagnosis["stoppedTasks"] {
  const groups = new Map<string, Diagnosis["stoppedTasks"][number]>();
  for (const task of stopped) {
    const definition = definitions.get(task.taskDefinitionArn ?? "");
    const containers = (task.containers ?? [])
      .map((container) => {
        const name = container.name ?? "?";
        const memory = containerMemory(definition, name);
        return {
          name,
          ...(container.exitCode === undefined ? {} : { exitCode: container.exitCode }),
          ...(container.reason ? { reason: container.reason } : {}),
          ...(memory === undefined ? {} : { memory }),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const reason = task.stoppedReason ?? "(no reason given)";
    const key = JSON.stringify([
      reason,
      task.stopCode,
      containers.map((c) => [c.name, c.exitCode, c.reason]),
    ]);
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      group.taskIds.push(idOf(task.taskArn ?? ""));
      continue;
    }
    groups.set(key, {
      reason,
      ...(task.stopCode ? { stopCode: task.stopCode } : {}),
      count: 1,
      taskIds: [idOf(task.taskArn ?? "")],
      containers,
    });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

async function targetHealthOf(
  clients: AwsClients,
  service: Service,
  gaps: string[],
): Promise<Pick<Diagnosis, "targetHealth" | "targetGroups">> {
  const arns = [
    ...new Set((service.loadBalancers ?? []).map((lb) => lb.targetGroupArn).filter(Boolean)),
  ] as string[];
  if (!arns.length) return { targetHealth: [] };
  const [described, ...healths] = await Promise.all([
    gather(gaps, "Health check settings", "elasticloadbalancing:DescribeTargetGroups", () =>
      clients.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns })),
    ),
    ...arns.map((arn) =>
      gather(
        gaps,
        `Load balancer health of ${arn}`,
        "elasticloadbalancing:DescribeTargetHealth",
        () => clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      ),
    ),
  ]);
  const groups = described?.TargetGroups ?? [];
  const targetHealth = arns.flatMap((arn, index) => {
    const group = groups.find((g) => g.TargetGroupArn === arn);
    return (healths[index]?.TargetHealthDescriptions ?? [])
      .filter((t) => t.TargetHealth?.State !== "healthy" && t.TargetHealth?.State !== "draining")
      .map((t) => ({
        target: t.Target?.Id ?? "?",
        ...(t.Target?.Port === undefined ? {} : { port: t.Target.Port }),
        state: t.TargetHealth?.State ?? "unknown",
        ...(t.TargetHealth?.Reason ? { reason: t.TargetHealth.Reason } : {}),
        ...(t.TargetHealth?.Description ? { description: t.TargetHealth.Description } : {}),
        ...(group?.TargetGroupName ? { targetGroup: group.TargetGroupName } : {}),
        ...(group?.HealthCheckPath ? { healthCheckPath: group.HealthCheckPath } : {}),
        ...(group?.HealthCheckPort ? { healthCheckPort: group.HealthCheckPort } : {}),
      }));
  });
  if (!described) return { targetHealth };
  const targetGroups = groups.map((group) => ({
    name: group.TargetGroupName ?? group.TargetGroupArn ?? "?",
    ...(group.HealthCheckPath ? { healthCheckPath: group.HealthCheckPath } : {}),
    ...(group.HealthCheckPort ? { healthCheckPort: group.HealthCheckPort } : {}),
    ...(group.Matcher?.HttpCode ? { matcher: group.Matcher.HttpCode } : {}),
  }));
  return { targetHealth, targetGroups };
}

/** The EC2 capacity providers the deployment uses; none on Fargate. */
async function ec2CapacityProviders(
  clients: AwsClients,
  input: DiagnoseInput,
  service: Service,
  deployment: Deployment | undefined,
): Promise<string[]> {
  const strategy = deployment?.capacityProviderStrategy ?? service.capacityProviderStrategy;
  const launchType = deployment?.launchType ?? service.launchType;
  const ec2Only = (names: Array<string | undefined>) =>
    names.filter((name): name is string => Boolean(name) && !FARGATE_PROVIDERS.has(name ?? ""));
  if (strategy?.length) return ec2Only(strategy.map((item) => item.capacityProvider));
  if (launchType === "FARGATE" || launchType === "EXTERNAL") return [];
  const cluster = (
    await clients.ecs.send(new DescribeClustersCommand({ clusters: [input.cluster] }))
  ).clusters?.[0];
  if (launchType === "EC2") return ec2Only(cluster?.capacityProviders ?? []);
  return ec2Only((cluster?.defaultCapacityProviderStrategy ?? []).map((i) => i.capacityProvider));
}

const asgName = (arn: string) => arn.split(":autoScalingGroupName/")[1] ?? arn;

async function autoScalingOf(
  clients: AwsClients,
  providers: readonly string[],
  since: Date,
  gaps: string[],
): Promise<Pick<Diagnosis, "scalingActivities" | "autoScalingGroups">> {
  const described = await gather(gaps, "Capacity providers", "ecs:DescribeCapacityProviders", () =>
    clients.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [...providers] })),
  );
  const names = [
    ...new Set(
      (described?.capacityProviders ?? [])
        .map((provider) => provider.autoScalingGroupProvider?.autoScalingGroupArn)
        .filter((arn): arn is string => Boolean(arn))
        .map(asgName),
    ),
  ];
  if (!names.length) return { scalingActivities: [] };
  const [groups, ...activities] = await Promise.all([
    gather(gaps, "Auto Scaling groups", "autoscaling:DescribeAutoScalingGroups", () =>
      clients.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }),
      ),
    ),
    ...names.map((name) =>
      gather(
        gaps,
        `Auto Scaling activities of ${name}`,
        "autoscaling:DescribeScalingActivities",
        () =>
          clients.autoscaling.send(
            new DescribeScalingActivitiesCommand({
              AutoScalingGroupName: name,
              MaxRecords: MAX_SCALING_ACTIVITIES,
            }),
          ),
      ),
    ),
  ]);
  const scalingActivities = activities
    .flatMap((output) => output?.Activities ?? [])
    .filter((a) => (a.StartTime?.getTime() ?? 0) >= since.getTime())
    .sort((a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0))
    .map((a) => ({
      at: a.StartTime ? iso(a.StartTime) : "",
      status: a.StatusCode ?? "Unknown",
      description: a.Description ?? "",
      ...(a.Cause ? { cause: a.Cause } : {}),
      ...(a.StatusMessage ? { statusMessage: a.StatusMessage } : {}),
    }));
  const autoScalingGroups = (groups?.AutoScalingGroups ?? []).map((group) => ({
    name: group.AutoScalingGroupName ?? "?",
    min: group.MinSize ?? 0,
    max: group.MaxSize ?? 0,
    desired: group.DesiredCapacity ?? 0,
    instances: (group.Instances ?? []).filter((i) => i.LifecycleState === "InService").length,
  }));
  return { scalingActivities, ...(groups ? { autoScalingGroups } : {}) };
}

function resource(
  instance: ContainerInstance,
  which: "registeredResources" | "remainingResources",
  name: string,
) {
  return instance[which]?.find((r) => r.name === name)?.integerValue;
}

async function containerInstancesOf(
  clients: AwsClients,
  cluster: string,
): Promise<InstanceCapacity[]> {
  const listed = await clients.ecs.send(
    new ListContainerInstancesCommand({ cluster, status: "ACTIVE", maxResults: 100 }),
  );
  const arns = listed.containerInstanceArns ?? [];
  if (!arns.length) return [];
  const described = await clients.ecs.send(
    new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }),
  );
  return (described.containerInstances ?? []).map((instance) => {
    const fields: InstanceCapacity = { id: idOf(instance.containerInstanceArn ?? "") };
    const type = instance.attributes?.find((a) => a.name === "ecs.instance-type")?.value;
    if (type) fields.instanceType = type;
    const values = {
      registeredMemory: resource(instance, "registeredResources", "MEMORY"),
      remainingMemory: resource(instance, "remainingResources", "MEMORY"),
      registeredCpu: resource(instance, "registeredResources", "CPU"),
      remainingCpu: resource(instance, "remainingResources", "CPU"),
    };
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined) fields[key as keyof typeof values] = value;
    }
    return fields;
  });
}

/** Which container of a stopped task to read the logs of: the one that failed. */
function failedContainer(task: Task, definition: TaskDefinition): string | undefined {
  const containers = task.containers ?? [];
  const essential = (name: string | undefined) =>
    definition.containerDefinitions?.find((c) => c.name === name)?.essential !== false;
  const ran = containers.filter((c) => c.exitCode !== undefined);
  return (
    ran.find((c) => c.exitCode !== 0 && essential(c.name)) ??
    ran.find((c) => essential(c.name)) ??
    ran[0]
  )?.name;
}

type Log = Diagnosis["logs"][number];

/**
 * The names of a task definition's secrets: each container's `secrets`, and the names the
 * platform lists in PLATFORM_SECRET_NAMES (values never appear in a task definition).
 */
export function secretNames(definition: TaskDefinition | undefined): string[] {
  const names = new Set<string>();
  for (const container of definition?.containerDefinitions ?? []) {
    for (const item of container.secrets ?? []) if (item.name) names.add(item.name);
    const listed = container.environment?.find((e) => e.name === "PLATFORM_SECRET_NAMES")?.value;
    for (const name of (listed ?? "").split(",")) if (name.trim()) names.add(name.trim());
  }
  return [...names];
}

async function logsOf(
  clients: AwsClients,
  stopped: readonly Task[],
  groups: Diagnosis["stoppedTasks"],
  definitions: ReadonlyMap<string, TaskDefinition>,
  lines: number,
  gaps: string[],
  mask: (value: string) => void,
): Promise<Diagnosis["logs"]> {
  // One task of each kind of failure first, then more of the same, up to MAX_LOG_TASKS; tasks
  // whose containers never ran (an image that could not be pulled) have no logs to read.
  const byId = new Map(stopped.map((task) => [idOf(task.taskArn ?? ""), task]));
  const order: Task[] = [];
  const longest = Math.max(0, ...groups.map((g) => g.taskIds.length));
  for (let i = 0; i < longest; i++) {
    for (const group of groups) {
      const task = byId.get(group.taskIds[i] ?? "");
      if (task?.containers?.some((c) => c.exitCode !== undefined)) order.push(task);
    }
  }
  const picked: Array<{ task: Task; container: string; group: string; stream: string }> = [];
  for (const task of order) {
    if (picked.length >= MAX_LOG_TASKS) break;
    const definition = definitions.get(task.taskDefinitionArn ?? "");
    if (!definition) continue;
    const container = failedContainer(task, definition);
    const config = definition.containerDefinitions?.find(
      (c) => c.name === container,
    )?.logConfiguration;
    const taskId = idOf(task.taskArn ?? "");
    if (!container) continue;
    if (config?.logDriver !== "awslogs") {
      gaps.push(
        `Logs of task ${taskId}: container ${container} logs with ${config?.logDriver ?? "no log driver"}; deploy-kit reads awslogs only`,
      );
      continue;
    }
    const group = config.options?.["awslogs-group"];
    const prefix = config.options?.["awslogs-stream-prefix"];
    if (!group || !prefix) {
      gaps.push(
        `Logs of task ${taskId}: the awslogs options of container ${container} name no ${group ? "awslogs-stream-prefix" : "awslogs-group"}, so its log stream cannot be found from the task id`,
      );
      continue;
    }
    picked.push({ task, container, group, stream: `${prefix}/${container}/${taskId}` });
  }
  const read = await Promise.all(
    picked.map(async ({ task, container, group, stream }): Promise<Log | undefined> => {
      const definition = definitions.get(task.taskDefinitionArn ?? "");
      const taskId = idOf(task.taskArn ?? "");
      const output = await gather(
        gaps,
        `Logs of task ${taskId} (${group} ${stream})`,
        "logs:GetLogEvents",
        () =>
          clients.logs.send(
            new GetLogEventsCommand({
              logGroupName: group,
              logStreamName: stream,
              limit: lines,
              startFromHead: false,
            }),
          ),
      );
      if (!output) return undefined;
      const raw = (output.events ?? [])
        .flatMap((event) => (event.message ?? "").replace(/\r?\n$/, "").split(/\r?\n/))
        .slice(-lines);
      // An app that prints its configuration, or a stack trace with a connection string, must
      // not put its secrets in the report, the JSON, the job summary or an annotation.
      const text = redactLines(raw, { names: secretNames(definition), onRedacted: mask });
      return { taskId, container, logStream: stream, logGroup: group, lines: text };
    }),
  );
  return read.filter((entry): entry is Log => entry !== undefined);
}

/** The catalog's fixes name "<app>" and "<env>": this app's and environment's names instead. */
function personalize(fix: string, app: string, environment: string | undefined): string {
  const named = fix.replaceAll("<app>", app);
  return environment ? named.replaceAll("<env>", environment) : named;
}

/** The evidence the catalog reads, from a diagnosis. */
export function evidenceOf(
  diagnosis: Diagnosis,
  instances?: readonly InstanceCapacity[],
): Evidence {
  const evidence: Evidence = {
    stoppedTasks: diagnosis.stoppedTasks.map(({ taskIds: _ids, ...group }) => group),
    events: diagnosis.events.map((event) => event.message),
    targetHealth: diagnosis.targetHealth,
    logLines: diagnosis.logs.flatMap((log) => log.lines),
    scalingActivities: diagnosis.scalingActivities,
  };
  if (diagnosis.deployment) {
    const { rolloutState, rolloutStateReason, failedTasks } = diagnosis.deployment;
    evidence.deployment = {
      failedTasks,
      ...(rolloutState ? { rolloutState } : {}),
      ...(rolloutStateReason ? { rolloutStateReason } : {}),
    };
  }
  if (diagnosis.autoScalingGroups) evidence.autoScalingGroups = diagnosis.autoScalingGroups;
  if (diagnosis.taskSize) evidence.task = diagnosis.taskSize;
  if (diagnosis.targetGroups) evidence.targetGroups = diagnosis.targetGroups;
  if (instances) evidence.instances = [...instances];
  return evidence;
}

/**
 * Gathers the diagnosis of `input.service`. `described` is the service as the caller has just
 * described it, when it has: the diagnosis then does not describe it again.
 */
export async function diagnose(
  clients: AwsClients,
  input: DiagnoseInput,
  described?: Service,
): Promise<Diagnosis> {
  const since = input.since ?? new Date(Date.now() - HOUR);
  const logLines = input.logLines ?? 20;
  const gaps: string[] = [];

  const service = described ?? (await describeService(clients, input));
  const deployment = pickDeployment(service, input.deploymentId, since);
  const deploymentId = input.deploymentId ?? deployment?.id;
  if (input.deploymentId && !deployment) {
    gaps.push(
      `Deployment ${input.deploymentId}: the service no longer lists it (ECS drops a deployment once another has replaced it); its stopped tasks are still shown`,
    );
  }

  const definitions = new Map<string, TaskDefinition>();
  const describeDefinition = async (arn: string) => {
    if (definitions.has(arn)) return;
    const output = await gather(gaps, `Task definition ${arn}`, "ecs:DescribeTaskDefinition", () =>
      clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
    );
    if (output?.taskDefinition) definitions.set(arn, output.taskDefinition);
  };
  const mainDefinition = deployment?.taskDefinition ?? service.taskDefinition;
  const rawEvents = (service.events ?? []).filter(
    (event) => (event.createdAt?.getTime() ?? 0) >= since.getTime(),
  );
  const needsInstances = rawEvents.some((event) => isResourcePlacementFailure(event.message ?? ""));

  const [, stopped, balancing, capacity] = await Promise.all([
    mainDefinition ? describeDefinition(mainDefinition) : Promise.resolve(),
    gather(gaps, "Stopped tasks", "ecs:ListTasks and ecs:DescribeTasks", () =>
      stoppedTasksOf(clients, input, deploymentId, since),
    ),
    targetHealthOf(clients, service, gaps),
    gather(gaps, "Capacity providers of the service", "ecs:DescribeClusters", async () => {
      const providers = await ec2CapacityProviders(clients, input, service, deployment);
      const launchType = deployment?.launchType ?? service.launchType;
      const ec2 = providers.length > 0 || launchType === "EC2";
      const none: Pick<Diagnosis, "scalingActivities" | "autoScalingGroups"> = {
        scalingActivities: [],
      };
      const [scaling, instances] = await Promise.all([
        providers.length ? autoScalingOf(clients, providers, since, gaps) : Promise.resolve(none),
        ec2 && needsInstances
          ? gather(
              gaps,
              "Container instances (for the free memory and CPU)",
              "ecs:ListContainerInstances and ecs:DescribeContainerInstances",
              () => containerInstancesOf(clients, input.cluster),
            )
          : Promise.resolve(undefined),
      ]);
      return { ...scaling, instances };
    }),
  ]);

  const tasks = stopped ?? [];
  await Promise.all(
    [...new Set(tasks.map((task) => task.taskDefinitionArn).filter(Boolean))].map((arn) =>
      describeDefinition(arn as string),
    ),
  );
  const stoppedTasks = groupStoppedTasks(tasks, definitions);
  const mask = input.mask ?? ((value: string) => new GitHubActions(process.env).mask(value));
  const logs = await logsOf(clients, tasks, stoppedTasks, definitions, logLines, gaps, mask);

  const definition = mainDefinition ? definitions.get(mainDefinition) : undefined;
  const size = definition ? taskSize(definition) : undefined;
  const placement: PlacementContext = {
    ...(size?.memory === undefined ? {} : { taskMemory: size.memory }),
    ...(size?.cpu === undefined ? {} : { taskCpu: size.cpu }),
    ...(size?.networkMode === undefined ? {} : { networkMode: size.networkMode }),
    ...(capacity?.instances ? { instances: capacity.instances } : {}),
    ...(balancing.targetGroups?.length === 1 && balancing.targetGroups[0]?.healthCheckPath
      ? { healthCheckPath: balancing.targetGroups[0].healthCheckPath }
      : {}),
  };
  const events = newEvents(rawEvents, since, placement);

  const diagnosis: Diagnosis = {
    service: input.service,
    stoppedTasks,
    events,
    targetHealth: balancing.targetHealth,
    logs,
    scalingActivities: capacity?.scalingActivities ?? [],
    hints: [],
    gaps,
  };
  if (deployment?.id) {
    diagnosis.deployment = {
      id: deployment.id,
      status: deployment.status ?? "UNKNOWN",
      ...(deployment.rolloutState ? { rolloutState: deployment.rolloutState } : {}),
      ...(deployment.rolloutStateReason
        ? { rolloutStateReason: deployment.rolloutStateReason }
        : {}),
      taskDefinition: deployment.taskDefinition ?? "",
      desired: deployment.desiredCount ?? 0,
      running: deployment.runningCount ?? 0,
      pending: deployment.pendingCount ?? 0,
      failedTasks: deployment.failedTasks ?? 0,
    };
  }
  if (capacity?.autoScalingGroups) diagnosis.autoScalingGroups = capacity.autoScalingGroups;
  if (size) diagnosis.taskSize = size;
  if (balancing.targetGroups) diagnosis.targetGroups = balancing.targetGroups;
  const app = input.app ?? input.service;
  diagnosis.hints = matchKnownFailures(evidenceOf(diagnosis, capacity?.instances)).map((hint) => ({
    ...hint,
    fix: personalize(hint.fix, app, input.environment),
  }));
  return diagnosis;
}

const INDENT = "  ";

function plural(count: number, one: string, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

function taskList(ids: readonly string[]): string {
  const shown = ids.slice(0, 3).join(", ");
  return ids.length > 3 ? `${shown} and ${ids.length - 3} more` : shown;
}

/** Consecutive identical lines once, with how often they came. */
function collapse(lines: readonly string[]): string[] {
  const out: string[] = [];
  let previous: string | undefined;
  let repeats = 0;
  const flush = () => {
    if (repeats > 0) out.push(`${INDENT}(the line above ${repeats + 1} times)`);
    repeats = 0;
  };
  for (const line of lines) {
    if (line === previous) {
      repeats += 1;
      continue;
    }
    flush();
    out.push(`${INDENT}${line}`);
    previous = line;
  }
  flush();
  return out;
}

function headline(diagnosis: Diagnosis): string[] {
  const [strongest] = diagnosis.hints;
  const deployment = diagnosis.deployment;
  if (strongest) {
    // On demand, a service whose release went out can still show trouble (a Spot interruption,
    // a task that crashed later): that is no failed release.
    const title =
      deployment?.rolloutState === "COMPLETED"
        ? `Trouble found, although deployment ${deployment.id} completed: ${strongest.title}`
        : `Why the release failed: ${strongest.title}`;
    return [title, `${INDENT}${strongest.evidence}`];
  }
  const failed =
    deployment?.rolloutState === "FAILED" ||
    diagnosis.stoppedTasks.length > 0 ||
    diagnosis.targetHealth.some((t) => t.state === "unhealthy");
  if (failed) {
    return ["Why the release failed: no known failure matched; what AWS reported is below."];
  }
  return [
    deployment
      ? `No failure found: deployment ${deployment.id} is ${deployment.rolloutState ?? deployment.status} with ${deployment.running} of ${deployment.desired} tasks running.`
      : "No failure found.",
  ];
}

/** Plain lines for a terminal or CI log, grouped by section and deduplicated; empty sections omitted. */
export function formatDiagnosis(diagnosis: Diagnosis): string[] {
  const sections: string[][] = [headline(diagnosis)];
  const deployment = diagnosis.deployment;
  if (deployment) {
    const state = deployment.rolloutState ?? deployment.status;
    const definition = deployment.taskDefinition.slice(
      deployment.taskDefinition.lastIndexOf("/") + 1,
    );
    sections.push([
      `Deployment ${deployment.id} of ${diagnosis.service} (${definition}): ${state}${deployment.rolloutStateReason ? ` (${deployment.rolloutStateReason})` : ""}`,
      `${INDENT}desired ${deployment.desired}, running ${deployment.running}, pending ${deployment.pending}, failed tasks ${deployment.failedTasks}`,
    ]);
  }
  if (diagnosis.stoppedTasks.length) {
    const lines = ["Stopped tasks"];
    for (const group of diagnosis.stoppedTasks) {
      lines.push(
        `${INDENT}${plural(group.count, "task")} (${taskList(group.taskIds)}): ${group.reason}${group.stopCode ? ` [${group.stopCode}]` : ""}`,
      );
      for (const container of group.containers) {
        const parts = [
          container.exitCode === undefined ? "did not run" : `exit code ${container.exitCode}`,
          container.reason,
          container.memory === undefined ? undefined : `memory limit ${container.memory} MiB`,
        ].filter(Boolean);
        lines.push(`${INDENT}${INDENT}${container.name}: ${parts.join(", ")}`);
      }
    }
    sections.push(lines);
  }
  if (diagnosis.events.length) {
    const lines = ["Service events"];
    for (const event of diagnosis.events) {
      const times =
        event.count && event.count > 1 ? ` (${event.count} times, last at ${event.lastAt})` : "";
      lines.push(`${INDENT}${event.at} ${event.message}${times}`);
      if (event.explanation) lines.push(`${INDENT}${INDENT}→ ${event.explanation}`);
    }
    sections.push(lines);
  }
  if (diagnosis.targetHealth.length) {
    const lines = ["Load balancer health"];
    const seen = new Set<string>();
    for (const target of diagnosis.targetHealth) {
      const check = target.healthCheckPath
        ? ` (health check GET ${target.healthCheckPath} on ${target.healthCheckPort === "traffic-port" || !target.healthCheckPort ? "the traffic port" : `port ${target.healthCheckPort}`})`
        : "";
      const line = `${INDENT}${target.target}${target.port === undefined ? "" : `:${target.port}`} ${target.state}${target.reason ? ` ${target.reason}` : ""}${target.description ? `: ${target.description}` : ""}${check}`;
      if (seen.has(line)) continue;
      seen.add(line);
      lines.push(line);
    }
    sections.push(lines);
  }
  const shown = new Map<string, string>();
  for (const log of diagnosis.logs) {
    const where = `${log.logGroup ? `log group ${log.logGroup}, ` : ""}stream ${log.logStream}`;
    const title = `Last log lines (task ${log.taskId}, container ${log.container}, ${where})`;
    const key = JSON.stringify([log.container, log.lines]);
    const same = shown.get(key);
    if (same && log.lines.length) {
      sections.push([title, `${INDENT}(the same lines as task ${same})`]);
      continue;
    }
    shown.set(key, log.taskId);
    sections.push([
      title,
      ...(log.lines.length ? collapse(log.lines) : [`${INDENT}(the container wrote nothing)`]),
    ]);
  }
  if (diagnosis.scalingActivities.length || diagnosis.autoScalingGroups?.length) {
    const lines = ["Auto Scaling"];
    for (const group of diagnosis.autoScalingGroups ?? []) {
      lines.push(
        `${INDENT}${group.name}: ${group.instances} in service, desired ${group.desired} (min ${group.min}, max ${group.max})${group.desired >= group.max ? ", at its maximum" : ""}`,
      );
    }
    for (const activity of diagnosis.scalingActivities) {
      lines.push(`${INDENT}${activity.at} ${activity.status}: ${activity.description}`);
      if (activity.statusMessage && !activity.description.includes(activity.statusMessage)) {
        lines.push(`${INDENT}${INDENT}${activity.statusMessage}`);
      }
    }
    sections.push(lines);
  }
  if (diagnosis.hints.length) {
    const lines = ["What to do"];
    diagnosis.hints.forEach((hint, index) => {
      lines.push(`${INDENT}${index + 1}. ${hint.title}: ${hint.fix}`);
      lines.push(`${INDENT}${INDENT}Seen: ${hint.evidence}`);
    });
    sections.push(lines);
  }
  if (diagnosis.gaps.length) {
    sections.push([
      "Not gathered",
      ...[...new Set(diagnosis.gaps)].map((gap) => `${INDENT}- ${gap}`),
    ]);
  }
  return sections.flatMap((section, index) => (index === 0 ? section : ["", ...section]));
}

/**
 * Known ECS release failures: what AWS writes when each happens, and the fix in this platform's
 * terms (apps/<app>/deploy.json, platform.config.json, the Dockerfile, the app). Each rule matches
 * the texts AWS really writes, quoted in the public threads cited next to it; `diagnose` gathers
 * those texts (the Evidence) and `matchKnownFailures` turns them into hints.
 *
 * Order matters: root causes come first and the generic consequences (a container exited, the
 * load balancer gave up, the circuit breaker rolled back) last, so the first hint is the strongest
 * and is what the report's headline names.
 */
import type { Diagnosis } from "./diagnose.js";
import {
  describeShortfall,
  explainHealthReason,
  healthCheckCodes,
  type InstanceCapacity,
  PLACEMENT_SHORTFALL,
  unhealthyEventReason,
} from "./events.js";

/** The texts and numbers diagnose gathered, in the shape the rules read them. */
export interface Evidence {
  deployment?: { rolloutState?: string; rolloutStateReason?: string; failedTasks?: number };
  stoppedTasks: Array<{
    reason: string;
    stopCode?: string;
    count: number;
    containers: Array<{ name: string; exitCode?: number; reason?: string; memory?: number }>;
  }>;
  /** Service event messages, oldest first. */
  events: string[];
  targetHealth: Array<{
    state: string;
    reason?: string;
    description?: string;
    healthCheckPath?: string;
    port?: number;
  }>;
  logLines: string[];
  scalingActivities: Array<{
    status: string;
    description: string;
    cause?: string;
    statusMessage?: string;
  }>;
  autoScalingGroups?: Array<{ name: string; desired: number; max: number; instances: number }>;
  /** One task's reservation and network mode, from the task definition. */
  task?: { memory?: number; cpu?: number; networkMode?: string };
  /** The cluster's container instances (EC2 capacity only). */
  instances?: InstanceCapacity[];
  /** The service's target groups and the path their health checks request. */
  targetGroups?: Array<{ name: string; healthCheckPath?: string }>;
}

export interface KnownFailure {
  id: string;
  title: string;
  fix: string;
  /** The evidence text that shows this failure, or undefined when it does not apply. */
  match(evidence: Evidence): string | undefined;
  /** More specific failures that, when matched, make this generic one say nothing new. */
  unless?: readonly string[];
}

const MAX_EVIDENCE = 500;
const HEAD = 120;

/**
 * One line of at most MAX_EVIDENCE characters. AWS's texts start with what failed and end with
 * why, so both ends stay; when the part that matched is in the middle, that part stays instead.
 */
function clip(text: string, focus?: RegExp): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= MAX_EVIDENCE) return flat;
  const half = Math.floor((MAX_EVIDENCE - 3) / 2);
  const at = focus ? flat.search(focus) : -1;
  if (at < 0 || at + 120 <= half || at > flat.length - half) {
    return `${flat.slice(0, half)} … ${flat.slice(flat.length - half)}`;
  }
  const room = MAX_EVIDENCE - HEAD - 6;
  const from = Math.max(HEAD, at - 60);
  const more = from + room < flat.length ? " …" : "";
  return `${flat.slice(0, HEAD)} … ${flat.slice(from, from + room)}${more}`;
}

/** Stopped reasons and container reasons, with the tasks they came from. */
function taskTexts(evidence: Evidence): string[] {
  const texts: string[] = [];
  for (const group of evidence.stoppedTasks) {
    for (const container of group.containers) if (container.reason) texts.push(container.reason);
    texts.push(group.reason);
  }
  return texts;
}

/** Every text AWS wrote about the tasks' start: task and container reasons, then events. */
function startTexts(evidence: Evidence): string[] {
  return [...taskTexts(evidence), ...evidence.events];
}

/** The first text every pattern matches, clipped around what the last pattern found. */
function find(texts: readonly string[], ...patterns: RegExp[]): string | undefined {
  const found = texts.find((text) => patterns.every((pattern) => pattern.test(text)));
  return found === undefined ? undefined : clip(found, patterns.at(-1));
}

const tasks = (count: number) => (count === 1 ? "1 task" : `${count} tasks`);

const PULL = /CannotPullContainerError|pull image manifest|failed to resolve ref/i;
const NOT_FOUND = /not found|manifest unknown|does not exist|notfound/i;
const NO_ROUTE =
  /i\/o timeout|dial tcp|Client\.Timeout exceeded|request canceled while waiting for connection|context deadline exceeded|RequestCanceled|no such host|connection (refused|reset)/i;
const SECRETS =
  /unable to (pull|retrieve) secrets?|secrets? from (ssm|asm)|secretsmanager|ssm:GetParameters/i;

function oomContainer(evidence: Evidence): string | undefined {
  for (const group of evidence.stoppedTasks) {
    for (const container of group.containers) {
      const killed = /OutOfMemory|OOM|Container killed due to memory usage/i.test(
        container.reason ?? "",
      );
      // 137 is SIGKILL: out of memory when the container died on its own. When ECS stopped the
      // task (failed health checks, a rolling update) the kill after the stop timeout is 137 too.
      const selfKilled =
        container.exitCode === 137 &&
        group.stopCode === "EssentialContainerExited" &&
        /Essential container in task exited/i.test(group.reason);
      if (!killed && !selfKilled) continue;
      const limit = container.memory === undefined ? "" : ` (its limit is ${container.memory} MiB)`;
      const how = [
        container.exitCode === undefined ? undefined : `exit code ${container.exitCode}`,
        container.reason,
      ]
        .filter(Boolean)
        .join(", ");
      return clip(
        `container ${container.name} was killed for using more memory than it has${limit}: ${how} (${tasks(group.count)})`,
      );
    }
  }
  const heap = find(
    evidence.logLines,
    /JavaScript heap out of memory|Reached heap limit|java\.lang\.OutOfMemoryError|MemoryError/,
  );
  return heap ? `the app's log says: ${heap}` : undefined;
}

function exitedContainer(evidence: Evidence): string | undefined {
  for (const group of evidence.stoppedTasks) {
    if (!/Essential container in task exited/i.test(group.reason)) continue;
    // The container that failed first: a non-zero exit says more than a sidecar's clean one.
    const containers = [...group.containers].sort(
      (a, b) => Number(a.exitCode === 0) - Number(b.exitCode === 0),
    );
    for (const container of containers) {
      if (container.exitCode === undefined) continue;
      if (/OutOfMemory|OOM/i.test(container.reason ?? "")) continue;
      if (container.exitCode === 137 && group.stopCode === "EssentialContainerExited") continue;
      const what =
        container.exitCode === 0
          ? "exited with code 0 (the process ended on its own; a server has to keep running)"
          : `exited with code ${container.exitCode}`;
      return clip(
        `container ${container.name} ${what} in ${tasks(group.count)}${container.reason ? `: ${container.reason}` : ""}; its last log lines are in the report`,
      );
    }
  }
  return undefined;
}

interface HealthFinding {
  text: string;
  codes?: string;
  path?: string;
}

/** Unhealthy targets and "is unhealthy in (target-group ...)" events, as one list. */
function healthFindings(evidence: Evidence): HealthFinding[] {
  const findings: HealthFinding[] = [];
  for (const target of evidence.targetHealth) {
    if (target.state !== "unhealthy") continue;
    const text = [target.reason, target.description].filter(Boolean).join(": ");
    const codes = healthCheckCodes(target.description ?? "");
    findings.push({
      text: `${text}${target.healthCheckPath ? ` (health check GET ${target.healthCheckPath})` : ""}`,
      ...(codes === undefined ? {} : { codes }),
      ...(target.healthCheckPath === undefined ? {} : { path: target.healthCheckPath }),
    });
  }
  const paths = [...new Set((evidence.targetGroups ?? []).map((g) => g.healthCheckPath))];
  const path = paths.length === 1 ? paths[0] : undefined;
  for (const message of evidence.events) {
    const reason = unhealthyEventReason(message);
    if (!reason) continue;
    const codes = healthCheckCodes(reason);
    findings.push({
      text: message,
      ...(codes === undefined ? {} : { codes }),
      ...(path === undefined ? {} : { path }),
    });
  }
  return findings;
}

function healthMatch(
  evidence: Evidence,
  test: (finding: HealthFinding) => boolean,
): string | undefined {
  const finding = healthFindings(evidence).find(test);
  if (!finding) return undefined;
  const meaning = explainHealthReason(finding.text, finding.path);
  return clip(meaning ? `${finding.text} — ${meaning}` : finding.text);
}

function placementShortfall(evidence: Evidence, resource: "memory" | "cpu"): string | undefined {
  const event = find(evidence.events, PLACEMENT_SHORTFALL[resource]);
  if (!event) return undefined;
  const said = /The closest matching [^.]*\./.exec(event)?.[0] ?? event;
  const numbers = describeShortfall(resource, {
    ...(evidence.task?.memory === undefined ? {} : { taskMemory: evidence.task.memory }),
    ...(evidence.task?.cpu === undefined ? {} : { taskCpu: evidence.task.cpu }),
    ...(evidence.instances === undefined ? {} : { instances: evidence.instances }),
  });
  return numbers ? clip(`${numbers} (ECS: "${said}")`) : event;
}

const PLACEMENT_FAILED =
  /unable to place a task|No Container Instances were found|insufficient (memory|CPU)/i;

export const KNOWN_FAILURES: readonly KnownFailure[] = [
  {
    // https://github.com/CircleCI-Public/circleci-demo-aws-ecs-ecr/issues/4
    // https://github.com/aws/containers-roadmap/issues/2687
    // https://github.com/RafalWilinski/deploy-with-serverless/issues/11
    id: "image-not-found",
    title: "The image is not in the registry",
    fix: "The task definition names an image tag or digest the registry does not have: it was never pushed, was pushed to another environment's repository, or a lifecycle rule expired it. Push the image to this environment's repository and release that image: `deploy-kit deploy <app> --env <env>` builds, pushes and releases in one go.",
    match: (evidence) => find(startTexts(evidence), PULL, NOT_FOUND),
  },
  {
    // https://github.com/aws/aws-cdk/issues/29876
    // https://github.com/aws/aws-toolkit-jetbrains/issues/2318
    // https://github.com/nathanpeck/aws-cloudformation-fargate/issues/13
    id: "image-pull-denied",
    title: "The task may not pull its image",
    fix: "The task execution role could not read the image: it needs ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer, and the repository policy must not deny it (an image in another account needs that repository's policy to allow this account). The platform grants this for the app's own repository <project>/<env>/<app> only: release images pushed there, and deploy the app stack again with `cdk deploy` in packages/infra if its roles were changed by hand.",
    match: (evidence) => {
      const text = startTexts(evidence).find(
        (t) =>
          PULL.test(t) &&
          /403|denied|not authorized|AccessDenied|unauthorized|Forbidden/i.test(t) &&
          !NOT_FOUND.test(t),
      );
      return text === undefined ? undefined : clip(text);
    },
  },
  {
    // https://github.com/aws/amazon-ecs-agent/issues/1128
    // https://github.com/aws/amazon-ecs-agent/issues/1204
    // https://github.com/Releem/releem-agent/issues/195 (the same for secrets: security group egress)
    id: "no-route-to-aws",
    title: "The task cannot reach ECR or the other AWS endpoints",
    fix: 'The task has no network path to ECR (nor to SSM, Secrets Manager and CloudWatch Logs, which it also needs before the app starts). With `"network": "public"` (environments.<env>.network in platform.config.json) tasks need a public IP in a subnet routed to the internet gateway: the platform sets both, so check nobody turned assignPublicIp off on the service. With `"network": "private"` the task subnets need a route to a NAT gateway (or VPC endpoints for ecr.api, ecr.dkr, s3, logs and ssm). The task\'s security group and the subnet\'s network ACL must allow outbound HTTPS (443).',
    match: (evidence) =>
      find(startTexts(evidence), PULL, NO_ROUTE) ??
      find(startTexts(evidence), /ResourceInitializationError/, NO_ROUTE),
  },
  {
    // https://github.com/aws/copilot-cli/issues/4504
    // https://github.com/aws/copilot-cli/issues/3240
    // https://github.com/GiamPy5/terraform-aws-directus/issues/10 (KMS)
    id: "secrets-access-denied",
    title: "The task may not read its secrets",
    fix: "The task execution role was refused a secret of the app. Each entry of `secrets` in apps/<app>/deploy.json must name an SSM parameter or Secrets Manager secret of this environment's account and region, and the app stack grants the execution role exactly those: after changing `secrets`, deploy the app stack again (`cdk deploy` in packages/infra) before releasing. A value encrypted with a customer-managed KMS key also needs kms:Decrypt for the execution role.",
    match: (evidence) =>
      find(
        startTexts(evidence),
        SECRETS,
        /AccessDenied|not authorized|Access to KMS is not allowed/i,
      ),
  },
  {
    // https://github.com/HHS/simpler-grants-gov/pull/4330
    // https://github.com/aws/copilot-cli/issues/2095 (the parameter was written to another account)
    id: "secret-not-found",
    title: "A secret the task needs does not exist",
    fix: "A secret named in the task definition does not exist in this account and region. Create it (`aws ssm put-parameter --type SecureString --name /<project>/<app>/<NAME> --value ...`, or in Secrets Manager) with the credentials and region of this environment, or correct its reference in `secrets` in apps/<app>/deploy.json, then release again.",
    match: (evidence) =>
      find(
        startTexts(evidence),
        SECRETS,
        /invalid ssm parameters|ParameterNotFound|ResourceNotFoundException|can'?t find the specified secret/i,
      ),
  },
  {
    // https://github.com/cn-terraform/terraform-aws-nexus/issues/35
    // https://github.com/Rayraegah/terraform-aws-hasura/issues/25
    // https://github.com/doctorray117/minecraft-ondemand/issues/12 (logger args, AccessDenied)
    id: "log-driver-failed",
    title: "The container's logging could not start",
    fix: "The awslogs driver could not write to the app's log group, so the container never started. The group (/ecs/<project>/<env>/<app>) belongs to the app stack: deploy it (`cdk deploy` in packages/infra) and don't delete the group by hand. If the message says AccessDenied, the task execution role lacks logs:CreateLogStream and logs:PutLogEvents on it; if it timed out, the task has no route to CloudWatch Logs (see platform.config.json `network`).",
    match: (evidence) =>
      find(
        startTexts(evidence),
        /failed to initialize logging driver|failed to validate logger args|failed to create Cloudwatch log (stream|group)|The specified log group does not exist/i,
      ),
  },
  {
    // https://github.com/aws-samples/aws-modern-application-workshop/issues/149
    // https://github.com/telia-oss/terraform-aws-ecs-fargate/pull/58
    id: "role-not-assumable",
    title: "ECS cannot assume the task's role",
    fix: "The task role or task execution role is missing, or its trust policy does not allow ecs-tasks.amazonaws.com. The app stack creates both roles: deploy it again with `cdk deploy` in packages/infra and leave the roles to it.",
    match: (evidence) => find(startTexts(evidence), /unable to assume the role/i),
  },
  {
    // https://github.com/aws-samples/amazon-bedrock-serverless-prompt-chaining/issues/213
    // https://github.com/aws-samples/sample-sonic-cdk-agent/issues/10
    // https://github.com/doctorray117/minecraft-ondemand/issues/43
    id: "exec-format-error",
    title: "The image is built for another CPU architecture",
    fix: 'The image\'s binaries are for another CPU than the task runs on (typically an arm64 image built on an Apple-silicon laptop, run on x86_64 Fargate). `deploy-kit build <app> --env <env>` builds for the architecture the app has there (`"architecture"` in apps/<app>/deploy.json, x86_64 unless it says arm64) and refuses to push another; set `"architecture": "arm64"` there (then `cdk deploy` of the app stack) to run the task on Graviton instead.',
    match: (evidence) => find([...taskTexts(evidence), ...evidence.logLines], /exec format error/i),
  },
  {
    // https://github.com/aws/amazon-ecs-cli/issues/78
    id: "command-not-found",
    title: "The container's command does not exist in the image",
    fix: 'ECS could not start the container\'s entry point. Check CMD and ENTRYPOINT in apps/<app>/Dockerfile: the file must exist in the final image at that path, and images without a shell (distroless) need the exec form, e.g. `CMD ["dist/server.js"]`, not `CMD node dist/server.js`.',
    match: (evidence) =>
      find(
        [...taskTexts(evidence), ...evidence.logLines],
        /executable file not found in \$PATH|starting container process caused.*no such file or directory/i,
      ),
  },
  {
    // https://github.com/aws/amazon-ecs-agent/issues/1187
    // https://github.com/aws/copilot-cli/issues/3470
    id: "out-of-memory",
    title: "The container ran out of memory",
    fix: "The container used more memory than its limit and was killed. Raise `memory` in apps/<app>/deploy.json (on Fargate with a `cpu` that allows it: 256 CPU takes 512-2048 MiB, 512 takes 1024-4096), or make the app use less (for Node, keep --max-old-space-size below the limit). On EC2 capacity the new size must still fit `environments.<env>.ec2.instanceType` in platform.config.json.",
    match: oomContainer,
  },
  {
    // https://github.com/aws/containers-roadmap/issues/1721
    // https://github.com/TrafeX/docker-php-nginx/issues/101
    id: "privileged-port",
    title: "The app may not listen on a port below 1024",
    fix: "The image runs as a non-root user, which cannot listen on ports below 1024 on ECS. Set `port` in apps/<app>/deploy.json to 1024 or above (8080 is the platform's default) and have the app listen on $PORT; the load balancer still serves HTTPS on 443.",
    match: (evidence) =>
      find(
        evidence.logLines,
        /EACCES.*:\d{1,3}\b|bind\(\) to \S+:\d{1,3} failed \(13: Permission denied\)|listen tcp \S+:\d{1,3}: bind: permission denied/i,
      ),
  },
  {
    // https://github.com/reproio/wrapbox/pull/53
    // https://github.com/nextflow-io/nextflow/issues/5786
    id: "spot-interruption",
    title: "Fargate Spot reclaimed the task",
    fix: 'Fargate Spot took its capacity back with two minutes\' notice; the release itself is fine. Apps that must stay up run on `"capacity": "fargate"` in apps/<app>/deploy.json, or keep `desiredCount` at 2 or more so one interruption does not take the app down.',
    match: (evidence) => {
      const group = evidence.stoppedTasks.find(
        (g) => g.stopCode === "SpotInterruption" || /Spot Task was interrupted/i.test(g.reason),
      );
      return group
        ? clip(
            `${group.reason}${group.stopCode ? ` [${group.stopCode}]` : ""} (${tasks(group.count)})`,
          )
        : undefined;
    },
  },
  {
    // https://github.com/wellcomecollection/platform/issues/3875
    // https://github.com/aws/copilot-cli/issues/2685
    id: "fargate-quota",
    title: "The account's Fargate quota is used up",
    fix: 'The account may run no more Fargate tasks (or vCPUs) in this region. Request an increase in the Service Quotas console ("Fargate On-Demand vCPU resource count", or the Fargate Spot one); new accounts start low. Meanwhile lower `desiredCount`, `maxCount` or `cpu` in apps/<app>/deploy.json.',
    match: (evidence) =>
      find(
        startTexts(evidence),
        /reached the limit on the number of (tasks|spot tasks|vCPUs)|requested (CPU|MEMORY) configuration is above your limit/i,
      ),
  },
  {
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
    id: "fargate-capacity-unavailable",
    title: "Fargate had no capacity for the task",
    fix: 'Fargate (more often Fargate Spot) had no capacity in the task\'s zones at the time. Release again later; for an app that must deploy reliably use `"capacity": "fargate"` in apps/<app>/deploy.json rather than "fargate-spot".',
    match: (evidence) => find(startTexts(evidence), /Capacity is unavailable at this time/i),
  },
  {
    // https://github.com/kubernetes/autoscaler/issues/1263 (the activity's StatusMessage)
    // https://github.com/aws-samples/amazon-scalable-infra-discord-diffusion/issues/3 (vCPU limit)
    // https://github.com/ITISFoundation/osparc-simcore/issues/3629 (InsufficientInstanceCapacity)
    id: "capacity-launch-failed",
    title: "Auto Scaling could not launch an instance",
    fix: "The capacity provider's Auto Scaling group failed to start an instance, and the activity's message says why: a vCPU or instance limit of the account (request an increase in Service Quotas, or use a smaller `environments.<env>.ec2.instanceType` in platform.config.json), or no capacity for the instance type in a zone (choose another `ec2.instanceType`).",
    match: (evidence) => {
      const failed = evidence.scalingActivities.find((a) => /Failed|Cancelled/i.test(a.status));
      return failed
        ? clip(`${failed.status}: ${failed.statusMessage ?? failed.description}`)
        : undefined;
    },
  },
  {
    // https://github.com/aws/amazon-ecs-cli/issues/178
    // https://github.com/aws/containers-roadmap/issues/331
    id: "instance-memory",
    title: "The task does not fit the instances' free memory",
    fix: "No EC2 instance has enough free memory for one more task. Lower `memory` in apps/<app>/deploy.json, choose a larger `environments.<env>.ec2.instanceType` in platform.config.json, or raise `ec2.maxInstances` so the capacity provider can add an instance (a rolling update needs room for the old and the new task at once).",
    match: (evidence) => placementShortfall(evidence, "memory"),
  },
  {
    // https://github.com/aws/containers-roadmap/issues/331
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
    id: "instance-cpu",
    title: "The task does not fit the instances' free CPU",
    fix: "No EC2 instance has enough free CPU units (1024 per vCPU) for one more task. Lower `cpu` in apps/<app>/deploy.json, choose a larger `environments.<env>.ec2.instanceType` in platform.config.json, or raise `ec2.maxInstances` so the capacity provider can add an instance.",
    match: (evidence) => placementShortfall(evidence, "cpu"),
  },
  {
    // https://github.com/tryretool/terraform-retool-modules/issues/10
    // https://github.com/Shippable/support/issues/2852
    id: "host-port-in-use",
    title: "The task's host port is taken on every instance",
    fix: "The task maps a fixed host port, so each instance can run one copy and a rolling update has nowhere to start the new one. Use host port 0 (dynamic ports in bridge mode, what the platform's EC2 capacity sets up: deploy the app stack again with `cdk deploy` if the task definition was changed by hand), or raise `environments.<env>.ec2.maxInstances` in platform.config.json so a second instance can take the new task.",
    match: (evidence) =>
      find(evidence.events, /already using a port required by your task|RESOURCE:PORTS/i),
  },
  {
    // https://github.com/aws/aws-app-mesh-examples/issues/342
    // https://github.com/aws/amazon-ecs-agent/issues/2448
    // https://github.com/aws/containers-roadmap/issues/1545
    id: "eni-limit",
    title: "The instances have no network interface left for another task",
    fix: 'With the awsvpc network mode every task takes a network interface of its own, and small instances have few (a t3.micro has 2, one of them its own). Run EC2 tasks in bridge mode with dynamic host ports (what the platform does for `"capacity": "ec2"`), choose a larger `environments.<env>.ec2.instanceType`, or raise `ec2.maxInstances` in platform.config.json.',
    match: (evidence) =>
      find(
        startTexts(evidence),
        /RESOURCE:ENI|Unable to attach network interface to unused device index/i,
      ),
  },
  {
    // https://github.com/compose-x/ecs_composex/issues/731
    // https://github.com/hashicorp/terraform-provider-aws/issues/32068
    id: "instance-attribute-missing",
    title: "No instance has what the task definition requires",
    fix: "No EC2 instance offers an attribute the task requires: most often the CPU architecture (an ARM64 task on x86 instances or the reverse), a logging driver or capability the agent does not register, or for awsvpc an instance in the service's subnets. Match `environments.<env>.ec2.instanceType` in platform.config.json to the image's architecture.",
    match: (evidence) => find(evidence.events, /is missing an attribute required by your task/i),
  },
  {
    // https://github.com/aws-samples/amazon-scalable-infra-discord-diffusion/issues/3
    // https://github.com/m-chandler/factorio-spot-pricing/issues/4
    // https://github.com/aws-samples/cost-effective-aws-deployment-of-comfyui/issues/39
    id: "no-container-instances",
    title: "The cluster has no EC2 instance to run the task",
    fix: "No EC2 instance has joined the cluster: the capacity provider's Auto Scaling group started none or they could not register (the Auto Scaling activities say which). Check `environments.<env>.ec2` in platform.config.json (an instanceType offered in the environment's zones, maxInstances of 1 or more) and the account's EC2 vCPU quota.",
    match: (evidence) =>
      find(
        evidence.events,
        /No Container Instances were found in your (cluster|capacity provider)/i,
      ),
  },
  {
    // https://github.com/hashicorp/terraform/issues/11253 (a rolling update needs room for one more)
    // https://github.com/Shippable/support/issues/2980
    id: "capacity-at-maximum",
    title: "The EC2 capacity is at its maximum",
    fix: "Tasks wait for room while the capacity provider's Auto Scaling group is at its maximum size. Raise `environments.<env>.ec2.maxInstances` in platform.config.json (a rolling update needs room for the old and the new task at once), or make the task smaller (`cpu`, `memory` in apps/<app>/deploy.json).",
    match: (evidence) => {
      const placementFailed = evidence.events.some((e) => PLACEMENT_FAILED.test(e));
      const atMax = evidence.autoScalingGroups?.find((g) => g.desired >= g.max);
      return placementFailed && atMax
        ? `the Auto Scaling group ${atMax.name} is at its maximum (${atMax.instances} of ${atMax.max} instances) while tasks wait for room`
        : undefined;
    },
  },
  {
    // https://github.com/aws/containers-roadmap/issues/1206
    // https://github.com/aws/amazon-ecs-agent/issues/625 (exit code 139)
    id: "essential-container-exited",
    title: "The app exited soon after it started",
    fix: "The app's process ended on its own. Its last log lines (in the report) usually name the cause: a missing or invalid environment variable or secret (`environment` and `secrets` in apps/<app>/deploy.json), a dependency it cannot reach from AWS, or a wrong CMD in apps/<app>/Dockerfile. The same image runs on your machine with `deploy-kit deploy <app> --env local`.",
    match: exitedContainer,
  },
  {
    // https://github.com/alphagov/gsp/issues/326
    // https://github.com/hackforla/CivicTechJobs/issues/436
    id: "health-check-path",
    title: "The load balancer's health check path does not answer 200",
    fix: "The load balancer checks a path the app does not answer with 200. Set `healthCheckPath` in apps/<app>/deploy.json to the app's health route (the platform's apps serve GET /healthz), or add that route; it must answer 200 without a login or a redirect.",
    match: (evidence) =>
      healthMatch(evidence, (f) => f.codes !== undefined && !/\b5\d\d\b/.test(f.codes)),
  },
  {
    // https://github.com/hackforla/CivicTechJobs/issues/436
    // https://github.com/hasura/graphql-engine/issues/3398
    id: "health-check-error",
    title: "The app's health route answers with an error",
    fix: "The app runs and answers its health route with a 5xx: it reports itself unhealthy, often because something it checks (a database, an API, a secret) fails from AWS. Read the log lines in the report; the route at `healthCheckPath` in apps/<app>/deploy.json should report the process' own readiness, not every dependency's.",
    match: (evidence) =>
      healthMatch(evidence, (f) => f.codes !== undefined && /\b5\d\d\b/.test(f.codes)),
  },
  {
    // https://github.com/brikis98/terraform-up-and-running-code/issues/39 (wrong port)
    // https://github.com/hackforla/CivicTechJobs/issues/436
    id: "health-check-unreachable",
    title: "The load balancer cannot reach the app",
    fix: "The load balancer gets no answer from the app's port. `port` in apps/<app>/deploy.json must be the port the app listens on (the platform passes it as $PORT), and the app must listen on 0.0.0.0, not 127.0.0.1 or localhost. An app that is only slow to start must answer within the health check grace period.",
    match: (evidence) =>
      healthMatch(
        evidence,
        (f) =>
          f.codes === undefined &&
          /Target\.Timeout|Target\.FailedHealthChecks|Request timed out|Health checks failed/i.test(
            f.text,
          ),
      ),
  },
  {
    // https://github.com/hackoregon/openelections/issues/562
    // https://github.com/aws/containers-roadmap/issues/2379
    id: "container-health-check",
    title: "The container's own health check fails",
    fix: "The health check command in the task definition kept failing. The command must exist in the image built from apps/<app>/Dockerfile (distroless and slim images have no curl or wget; the platform's apps check with a small node script), call the app on its `port` and `healthCheckPath` (apps/<app>/deploy.json), and leave the app time to start (startPeriod).",
    match: (evidence) =>
      find(
        startTexts(evidence),
        /failed container health checks|Task failed container health checks/i,
      ),
  },
  {
    // https://github.com/aws/copilot-cli/issues/1879
    // https://github.com/aws/containers-roadmap/issues/1488
    id: "health-check-failed",
    title: "ECS replaced tasks that failed the load balancer's health checks",
    unless: ["health-check-path", "health-check-error", "health-check-unreachable"],
    fix: "ECS stopped tasks that the load balancer never saw healthy. The load balancer section of the report gives the reason per target; check `healthCheckPath` and `port` in apps/<app>/deploy.json, and that the app listens on 0.0.0.0:$PORT.",
    match: (evidence) => find(taskTexts(evidence), /Task failed ELB health checks/i),
  },
  {
    // https://github.com/fabfuel/ecs-deploy/issues/185
    // https://github.com/aws/containers-roadmap/issues/1488
    id: "circuit-breaker-rollback",
    title: "The circuit breaker stopped the release",
    fix: "ECS gave up on the new tasks after repeated failures and went back to the previous deployment, so the app still serves the old release. The other findings say why the new tasks failed: fix that and release again (no `deploy-kit rollback` needed).",
    match: (evidence) => {
      const rollback = find(evidence.events, /rolling back to deployment/i);
      if (evidence.deployment?.rolloutState === "FAILED") {
        const reason = evidence.deployment.rolloutStateReason ?? "rollout state FAILED";
        return clip(rollback ? `${reason} ${rollback}` : reason);
      }
      return rollback ?? find(evidence.events, /deployment failed: tasks failed to start/i);
    },
  },
];

/** One hint per known failure the evidence shows, strongest first. */
export function matchKnownFailures(evidence: Evidence): Diagnosis["hints"] {
  const matched = KNOWN_FAILURES.flatMap((failure) => {
    const shown = failure.match(evidence);
    return shown ? [{ failure, shown }] : [];
  });
  const ids = new Set(matched.map(({ failure }) => failure.id));
  return matched
    .filter(({ failure }) => !failure.unless?.some((id) => ids.has(id)))
    .map(({ failure, shown }) => ({
      id: failure.id,
      title: failure.title,
      fix: failure.fix,
      evidence: shown,
    }));
}

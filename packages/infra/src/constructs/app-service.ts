import { PLATFORM_CONFIG_FILE } from "@repo/platform-config/load";
import type { AppAwsNames } from "@repo/platform-config/names";
import type { ResolvedApp, SecretRef } from "@repo/platform-config/resolve";
import * as cdk from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as route53Targets from "aws-cdk-lib/aws-route53-targets";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";
import { type PlatformResources, UNRELEASED_IMAGE } from "../platform-resources.js";
import { checkEc2Fit, MAXIMUM_PERCENT } from "../validation/ec2-capacity.js";
import { checkFargateSize } from "../validation/fargate.js";
import { MAX_PRIORITY, MIN_PRIORITY } from "../validation/priority.js";
import { fail, manifestFile } from "../validation/problem.js";

export interface AppServiceProps {
  /** What the environment's platform stack provides: network, cluster, load balancer, zone. */
  readonly platform: PlatformResources;
  /** The app as deployed to this environment, overrides merged and placeholders resolved. */
  readonly app: ResolvedApp;
  /** The AWS names shared with deploy-kit (task family, service, container, image parameter). */
  readonly names: AppAwsNames;
  /** The app's HTTPS listener rule priority, from `listenerPriorities` (1 to 50000). */
  readonly listenerPriority: number;
}

/** Container health check: distroless images have no shell or curl, so node asks the server. */
export const CONTAINER_HEALTH_CHECK = {
  command: ["CMD", "/nodejs/bin/node", "/app/healthcheck.mjs"],
  interval: cdk.Duration.seconds(10),
  timeout: cdk.Duration.seconds(5),
  retries: 3,
  startPeriod: cdk.Duration.seconds(10),
} as const;

/** The task volume mounted at /tmp. */
const TMP_VOLUME = "tmp";

/** The load balancer's health check, tuned so a release needs about 20 s to count as healthy. */
const TARGET_HEALTH = {
  interval: cdk.Duration.seconds(10),
  timeout: cdk.Duration.seconds(5),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 3,
  healthyHttpCodes: "200-399",
};

/** What autoscaling aims for: CPU and requests per task per minute (the ALB metric's unit). */
const SCALING = {
  cpuPercent: 60,
  requestsPerTargetPerMinute: 500,
  scaleOutCooldown: cdk.Duration.seconds(60),
  // Slower in than out: a burst that ends should not make the service drop tasks it needs again.
  scaleInCooldown: cdk.Duration.seconds(300),
};

/**
 * One app's service in the environment's cluster: task definition, ECS service, target group,
 * host-header rule on the shared HTTPS listener, alias records, autoscaling, and the deploy
 * role's right to release it. The image comes from the app's SSM parameter, which deploy-kit
 * writes after each release.
 */
export class AppService extends Construct {
  /** The first task definition; deploy-kit registers later revisions of the same family. */
  readonly taskDefinition: ecs.TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService | ecs.Ec2Service;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly listenerRule: elbv2.ApplicationListenerRule;
  /** The app's own AWS access: empty; add statements to it for what the app calls. */
  readonly taskRole: iam.Role;
  /** What ECS needs to start a task: pull the image, write logs, read the app's secrets. */
  readonly executionRole: iam.Role;
  /** The tasks' security group (Fargate only: with bridge mode the instances' group applies). */
  readonly securityGroup: ec2.SecurityGroup | undefined;
  readonly scaling: ecs.ScalableTaskCount;
  /** True while the image parameter still holds UNRELEASED_IMAGE (evaluated at deploy time). */
  readonly unreleased: cdk.CfnCondition;
  /** The alias records of <subdomain>.<domain>: A, and AAAA when the load balancer is dualstack. */
  readonly records: { a: route53.ARecord; aaaa: route53.AaaaRecord | undefined };
  /** The deploy role's permissions for this app; undefined without a deploy role. */
  readonly deployPolicy: iam.Policy | undefined;

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);
    const { platform, app, names, listenerPriority } = props;
    const resources = validate(this, props);
    const onEc2 = app.capacity === "ec2";
    const host = `${app.subdomain}.${platform.domain}`;

    this.executionRole = new iam.Role(this, "ExecutionRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
      description: `ECS task execution role of ${names.service} in ${platform.environment}: pull, logs, secrets`,
    });
    this.taskRole = new iam.Role(this, "TaskRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
      description: `Task role of ${names.service} in ${platform.environment}: the app's own AWS access`,
    });

    const taskProps = {
      family: names.taskFamily,
      executionRole: this.executionRole,
      taskRole: this.taskRole,
    };
    this.taskDefinition = onEc2
      ? new ecs.Ec2TaskDefinition(this, "TaskDefinition", {
          ...taskProps,
          // Several tasks share one small instance, each on a dynamic host port (see container).
          networkMode: ecs.NetworkMode.BRIDGE,
        })
      : new ecs.FargateTaskDefinition(this, "TaskDefinition", {
          ...taskProps,
          cpu: app.cpu,
          memoryLimitMiB: app.memory,
          // Without it Fargate runs X86_64, whatever the image was built for; an arm64 image
          // then stops with "exec format error". On EC2 the instance type decides (validate()).
          runtimePlatform: {
            cpuArchitecture:
              app.architecture === "arm64" ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
            operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
          },
        });
    // CDK creates the first revision; deploy-kit registers the later ones of the same family and
    // may roll back to any of them, CloudFormation's included. By default CloudFormation
    // deregisters the old revision when it replaces the resource, which would make it INACTIVE
    // and unusable for a rollback; retained, every revision stays ACTIVE (they cost nothing).
    this.taskDefinition.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);

    // The image is what deploy-kit last released, read from the SSM parameter when CloudFormation
    // creates or updates the stack (a parameter of type AWS::SSM::Parameter::Value<String>), so a
    // later `cdk deploy` re-creates the task definition with the running image, never an older one.
    // The name is the shared contract from @repo/platform-config/names: a template parameter's
    // default must be a literal, not a reference into the platform stack.
    const image = ssm.StringParameter.valueForStringParameter(this, names.imageParameter);

    // Before the first release the parameter holds UNRELEASED_IMAGE. A condition on the resolved
    // value keeps the service at 0 tasks (desired count and autoscaling minimum) until then, so
    // `cdk deploy` of a new app succeeds on day one without running a placeholder. Conditions may
    // reference template parameters, and CloudFormation resolves SSM parameter types before it
    // evaluates them: it fetches the current value for the stack on every create and update
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/systems-manager-parameter-types.html)
    // and conditions reference values of the Parameters section
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html),
    // the same mechanism CDK's own CheckBootstrapVersion rule uses on BootstrapVersion.
    // deploy-kit's first release sets the desired count itself when it finds the service at 0;
    // the next `cdk deploy` sees the real image and raises the autoscaling minimum to minCount.
    this.unreleased = new cdk.CfnCondition(this, "Unreleased", {
      expression: cdk.Fn.conditionEquals(image, UNRELEASED_IMAGE),
    });
    const whenReleased = (count: number) =>
      cdk.Token.asNumber(cdk.Fn.conditionIf(this.unreleased.logicalId, 0, count));
    // Once released, the template has no DesiredCount at all: autoscaling owns the running count.
    // A number here would be written by every stack update of the service (a tag, an environment
    // variable, the next image), setting a service autoscaling grew to 6 tasks back to the
    // manifest's 2 under the very load that grew it. AWS::ECS::Service documents both cases
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html#cfn-ecs-service-desiredcount):
    // "For existing services, if a desired count is not specified, it is omitted from the
    // operation", so an update leaves the count alone; "For new services, if a desired count is
    // not specified, a default value of 1 is used", which happens only when a released app's
    // service is created again (its stack deleted and deployed, or a change that replaces the
    // service). Then the scalable target below, created with it, registers minCount to maxCount,
    // and RegisterScalableTarget "changes the resource's current capacity to a value that is
    // inside of this range" (Application Auto Scaling API Reference), so a minCount above 1
    // brings the new service up to it; from there autoscaling and deploy-kit take over.
    const releasedDesiredCount = cdk.Token.asNumber(
      cdk.Fn.conditionIf(this.unreleased.logicalId, 0, cdk.Aws.NO_VALUE),
    );

    this.container = this.taskDefinition.addContainer("Container", {
      containerName: names.container,
      image: ecs.ContainerImage.fromRegistry(image),
      essential: true,
      environment: {
        ...app.environment,
        PORT: String(app.port),
        DEPLOY_ENV: platform.environment,
        NODE_ENV: "production",
        // The names of the variables ECS fills from `secrets` (never their values): server-kit
        // keeps those values out of its errors and logs.
        PLATFORM_SECRET_NAMES: secretNames(app.secrets),
      },
      secrets: containerSecrets(this, app.secrets),
      portMappings: [
        {
          name: "http",
          containerPort: app.port,
          // Bridge mode: a dynamic host port, so a rolling update places the new task beside the
          // old one on the same instance. awsvpc: each task has its own address.
          ...(onEc2 ? { hostPort: 0 } : {}),
          protocol: ecs.Protocol.TCP,
        },
      ],
      healthCheck: { ...CONTAINER_HEALTH_CHECK, command: [...CONTAINER_HEALTH_CHECK.command] },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: resources.logGroup,
        streamPrefix: app.name,
        // A slow CloudWatch Logs must not block the app's writes to stdout: it buffers instead.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: cdk.Size.mebibytes(25),
      }),
      // Writable only where a volume is mounted: /tmp below.
      readonlyRootFilesystem: true,
      // Like the local environment's `--cap-drop ALL`: a Node server needs no capability. An init
      // process as PID 1 (like `docker run --init`) reaps zombie children and forwards SIGTERM to
      // Node, which as PID 1 would get no default signal handling from the kernel.
      linuxParameters: new ecs.LinuxParameters(this, "LinuxParameters", {
        initProcessEnabled: true,
      }),
      // After SIGTERM the apps keep serving for SHUTDOWN_DRAIN_MS (15 s: the load balancer takes
      // them out, /healthz answers 503), then finish in-flight requests within SHUTDOWN_TIMEOUT_MS
      // (10 s); server-kit refuses a sum above 25 s, so they exit before ECS's SIGKILL at 30 s.
      stopTimeout: cdk.Duration.seconds(30),
      // EC2: the container's hard limit, which is also what placement reserves on the instance.
      ...(onEc2 ? { cpu: app.cpu, memoryLimitMiB: app.memory } : {}),
    });
    this.container.linuxParameters?.dropCapabilities(ecs.Capability.ALL);
    // /tmp, writable: the root filesystem is read-only, and Node (os.tmpdir()), multipart uploads
    // and many libraries write there. Locally every container gets a tmpfs at /tmp; on ECS nothing
    // is mounted there unless the task says so. A volume without a host path is task storage on
    // Fargate (the task's ephemeral storage) and a path the Docker daemon assigns on EC2, created
    // with the task and removed with it, like the local tmpfs. Fargate copies the image's /tmp
    // (and its permissions, 1777 in the base images) into the volume only when the Dockerfile
    // declares VOLUME /tmp ("Use bind mounts with Amazon ECS", Amazon ECS Developer Guide).
    this.taskDefinition.addVolume({ name: TMP_VOLUME });
    this.container.addMountPoints({
      sourceVolume: TMP_VOLUME,
      containerPath: "/tmp",
      readOnly: false,
    });
    // The image may live anywhere the parameter says, but releases come from the app's
    // repository: pull rights on it only (plus the registry login, which has no resource).
    resources.repository.grantPull(this.executionRole);

    // Who owns the task definition: CloudFormation creates the first revision and points the
    // service at it; deploy-kit registers later revisions of the family (the service's current
    // one with the new image) and updates the service through the ECS API. CloudFormation diffs
    // templates, not live state, so while the template's task definition is unchanged a stack
    // update leaves deploy-kit's revision running. When it changes (after every release, because
    // the image parameter now resolves to the new image, or when the manifest's environment,
    // secrets or size change), CloudFormation registers a new revision and updates the service to
    // it: a rolling deployment of the image deploy-kit released last, with the template's
    // settings, never an older image. The price is one extra rolling restart per `cdk deploy`
    // after a release, and a release must not run while the stack updates (the stack may have
    // read the parameter just before the release wrote it): CI serializes them per environment.
    // Rejected: `taskDefinitionRevision: LATEST` (the family without a revision) never touches the
    // running revision, but any service update would then deploy the latest revision, which may
    // be one a failed release registered.
    const created = this.createService(props, releasedDesiredCount);
    this.service = created.service;
    this.securityGroup = created.securityGroup;

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, "TargetGroup", {
      vpc: platform.vpc,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: app.port,
      targetType: onEc2 ? elbv2.TargetType.INSTANCE : elbv2.TargetType.IP,
      healthCheck: {
        path: app.healthCheckPath,
        protocol: elbv2.Protocol.HTTP,
        ...TARGET_HEALTH,
      },
      // ECS deregisters a task and waits this long before SIGTERM; the ALB stops new requests at
      // once and the apps finish in-flight ones well within it.
      deregistrationDelay: cdk.Duration.seconds(15),
    });
    this.targetGroup.addTarget(
      this.service.loadBalancerTarget({ containerName: names.container, containerPort: app.port }),
    );
    this.listenerRule = new elbv2.ApplicationListenerRule(this, "ListenerRule", {
      listener: platform.httpsListener,
      priority: listenerPriority,
      conditions: [elbv2.ListenerCondition.hostHeaders([host])],
      targetGroups: [this.targetGroup],
    });

    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: whenReleased(app.minCount),
      maxCapacity: app.maxCount,
    });
    this.scaling.scaleOnCpuUtilization("CpuScaling", {
      targetUtilizationPercent: SCALING.cpuPercent,
      scaleInCooldown: SCALING.scaleInCooldown,
      scaleOutCooldown: SCALING.scaleOutCooldown,
    });
    this.scaling.scaleOnRequestCount("RequestScaling", {
      requestsPerTarget: SCALING.requestsPerTargetPerMinute,
      targetGroup: this.targetGroup,
      scaleInCooldown: SCALING.scaleInCooldown,
      scaleOutCooldown: SCALING.scaleOutCooldown,
    });

    const target = route53.RecordTarget.fromAlias(
      new route53Targets.LoadBalancerTarget(platform.loadBalancer),
    );
    const recordName = `${host}.`;
    const a = new route53.ARecord(this, "AliasRecord", {
      zone: platform.hostedZone,
      recordName,
      target,
    });
    // AAAA only when the load balancer has IPv6 addresses (a dualstack ipAddressType); on an
    // IPv4-only one the alias would answer AAAA queries with nothing. When the platform turns
    // dualstack on, the next `cdk deploy` of each app adds its AAAA record.
    const dualstack =
      platform.loadBalancer.ipAddressType === elbv2.IpAddressType.DUAL_STACK ||
      platform.loadBalancer.ipAddressType === elbv2.IpAddressType.DUAL_STACK_WITHOUT_PUBLIC_IPV4;
    const aaaa = dualstack
      ? new route53.AaaaRecord(this, "AliasRecordIpv6", {
          zone: platform.hostedZone,
          recordName,
          target,
        })
      : undefined;
    this.records = { a, aaaa };

    this.deployPolicy = platform.deployRole
      ? this.grantRelease(platform.deployRole, this.service)
      : undefined;
  }

  private createService(
    props: AppServiceProps,
    desiredCount: number,
  ): { service: ecs.FargateService | ecs.Ec2Service; securityGroup?: ec2.SecurityGroup } {
    const { platform, app, names } = props;
    const common = {
      cluster: platform.cluster,
      serviceName: names.service,
      desiredCount,
      deploymentController: { type: ecs.DeploymentControllerType.ECS },
      circuitBreaker: { enable: true, rollback: true },
      // Never below the desired count during a release; the new tasks start beside the old ones
      // (the EC2 capacity check assumes the same maximum).
      minHealthyPercent: 100,
      maxHealthyPercent: MAXIMUM_PERCENT,
      // Container start period, then two passing ALB checks 10 s apart: a healthy new task is
      // reported healthy within 30 s, so ALB failures only count against it after that.
      healthCheckGracePeriod: cdk.Duration.seconds(
        CONTAINER_HEALTH_CHECK.startPeriod.toSeconds() +
          TARGET_HEALTH.interval.toSeconds() * TARGET_HEALTH.healthyThresholdCount,
      ),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      enableExecuteCommand: false,
    };
    if (app.capacity === "ec2") {
      const capacity = platform.ec2Capacity;
      if (!capacity) throw new Error("internal: validate() checks EC2 capacity first");
      const service = new ecs.Ec2Service(this, "Service", {
        ...common,
        taskDefinition: this.taskDefinition,
        capacityProviderStrategies: [
          { capacityProvider: capacity.capacityProvider.capacityProviderName, weight: 1 },
        ],
        placementStrategies: [
          ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
          // Then fill instances by memory, so the group can scale in the emptied ones.
          ecs.PlacementStrategy.packedByMemory(),
        ],
      });
      return { service };
    }

    const securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: platform.vpc,
      description: `Tasks of ${names.service} in ${platform.environment}: the app port from the load balancer only`,
      // Tasks reach ECR, CloudWatch Logs, Secrets Manager and whatever the app calls.
      allowAllOutbound: true,
    });
    // Also adds the load balancer's egress to this port when its group restricts outbound.
    securityGroup.connections.allowFrom(
      platform.loadBalancerSecurityGroup,
      ec2.Port.tcp(app.port),
      `HTTP to ${app.name} from the load balancer`,
    );
    const service = new ecs.FargateService(this, "Service", {
      ...common,
      taskDefinition: this.taskDefinition,
      capacityProviderStrategies: fargateStrategy(app.capacity),
      vpcSubnets: platform.taskSubnets,
      assignPublicIp: platform.assignPublicIp,
      securityGroups: [securityGroup],
    });
    return { service, securityGroup };
  }

  /** What deploy-kit needs to release this app: update this service, pass this app's roles. */
  private grantRelease(role: iam.IRole, service: ecs.BaseService): iam.Policy {
    return new iam.Policy(this, "DeployPolicy", {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: "ReleaseService",
          actions: ["ecs:UpdateService", "ecs:DescribeServices"],
          resources: [service.serviceArn],
        }),
        new iam.PolicyStatement({
          sid: "PassTaskRoles",
          actions: ["iam:PassRole"],
          resources: [this.taskRole.roleArn, this.executionRole.roleArn],
          conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        }),
      ],
    });
  }
}

/**
 * "fargate-spot" runs every task on Spot, without an on-demand base. Whoever picks Spot picked the
 * saving, and most services run one or two tasks: a FARGATE base of 1 would make a one-task
 * service entirely on-demand, silently. The apps are stateless and drain on SIGTERM well within
 * Spot's two-minute warning, and ECS replaces a reclaimed task. ECS does not fall back to FARGATE
 * when Spot has no capacity, so a zero-weight FARGATE entry would add nothing either. An
 * environment that needs a guaranteed floor sets `capacity: "fargate"` in its override.
 */
function fargateStrategy(capacity: "fargate" | "fargate-spot"): ecs.CapacityProviderStrategy[] {
  return [{ capacityProvider: capacity === "fargate" ? "FARGATE" : "FARGATE_SPOT", weight: 1 }];
}

/**
 * The container's secrets: ECS reads each reference when a task starts and sets it as an
 * environment variable, so no value is ever in the template. The execution role gets read access
 * to exactly these (CDK grants it per secret).
 */
function containerSecrets(
  scope: Construct,
  refs: Record<string, SecretRef>,
): Record<string, ecs.Secret> {
  const secrets: Record<string, ecs.Secret> = {};
  for (const [name, ref] of Object.entries(refs)) {
    const id = `Secret${name}`;
    if (ref.source === "ssm") {
      secrets[name] = ecs.Secret.fromSsmParameter(
        ssm.StringParameter.fromSecureStringParameterAttributes(scope, id, {
          parameterName: ref.name,
        }),
      );
      continue;
    }
    secrets[name] = ecs.Secret.fromSecretsManager(importSecret(scope, id, ref.name), ref.jsonKey);
  }
  return secrets;
}

/** PLATFORM_SECRET_NAMES: the secrets' variable names, sorted, comma-separated; "" for none. */
export function secretNames(refs: Record<string, SecretRef>): string {
  return Object.keys(refs)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join(",");
}

/** Secrets Manager appends "-" and 6 characters to a secret's name in its complete ARN. */
const COMPLETE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

function importSecret(scope: Construct, id: string, nameOrArn: string): secretsmanager.ISecret {
  if (!nameOrArn.startsWith("arn:")) {
    // A name: the grant covers "<name>-??????", whatever suffix Secrets Manager gave it.
    return secretsmanager.Secret.fromSecretNameV2(scope, id, nameOrArn);
  }
  return COMPLETE_ARN_SUFFIX.test(nameOrArn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, nameOrArn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, id, nameOrArn);
}

/** Eager checks with messages that name the app, the value and the fix. */
function validate(scope: Construct, props: AppServiceProps) {
  const { platform, app, names, listenerPriority } = props;
  const resources = platform.apps[app.name];
  if (!resources) {
    throw new InfraValidationError(
      scope,
      "platform.apps",
      Object.keys(platform.apps),
      `has no repository, log group and image parameter for app "${app.name}" in environment ${platform.environment}`,
      `build the platform stack with every app of apps/, including "${app.name}", and deploy it before the app's stack`,
    );
  }
  // A parameter the platform creates exposes its name as a reference; the literal is on the L1.
  const declared = resources.imageParameter.node.defaultChild;
  const parameterName =
    declared instanceof ssm.CfnParameter ? declared.name : resources.imageParameter.parameterName;
  if (
    parameterName !== undefined &&
    !cdk.Token.isUnresolved(parameterName) &&
    parameterName !== names.imageParameter
  ) {
    throw new InfraValidationError(
      scope,
      `platform.apps.${app.name}.imageParameter`,
      parameterName,
      `is not the parameter deploy-kit writes, ${names.imageParameter}`,
      `create the parameter with the name awsNames(project, environment).app("${app.name}").imageParameter`,
    );
  }
  if (
    !cdk.Token.isUnresolved(listenerPriority) &&
    (!Number.isInteger(listenerPriority) ||
      listenerPriority < MIN_PRIORITY ||
      listenerPriority > MAX_PRIORITY)
  ) {
    throw new InfraValidationError(
      scope,
      "listenerPriority",
      listenerPriority,
      `is not an ALB rule priority for app "${app.name}": a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}`,
      "pass the priority listenerPriorities() returns for the app",
    );
  }
  const where = { app: app.name, environment: platform.environment };
  if (app.capacity !== "ec2") {
    checkFargateSize(app, where);
    return resources;
  }
  const capacity = platform.ec2Capacity;
  if (!capacity) {
    fail({
      file: manifestFile(app.name),
      field: "capacity",
      value: app.capacity,
      message: `needs EC2 capacity, and the platform of environment ${platform.environment} has none`,
      fix: `give the environment EC2 capacity with "ec2": { "instanceType": "t3.micro" } under environments.${platform.environment} in ${PLATFORM_CONFIG_FILE} (and deploy the platform stack), or set capacity to "fargate"`,
    });
  }
  const warnings = checkEc2Fit({
    app,
    environment: platform.environment,
    instanceType: capacity.instanceType,
    maxInstances: capacity.maxInstances,
  });
  for (const warning of warnings) {
    cdk.Annotations.of(scope).addWarningV2(warning.id, warning.message);
  }
  return resources;
}

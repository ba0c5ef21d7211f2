import * as cdk from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";
import type { Ec2Capacity } from "../platform-resources.js";
import { instanceArchitecture } from "../validation/ec2-instances.js";

/** The instance type of the EC2 capacity when the config names none. */
export const DEFAULT_INSTANCE_TYPE = "t3.micro";

/**
 * The range Linux hands out ephemeral ports from, and with it the host ports ECS picks for a
 * container with host port 0 in bridge mode (dynamic port mapping).
 */
export const EPHEMERAL_PORTS = { from: 32768, to: 65535 } as const;

/**
 * Burstable families, the only ones whose launch templates may carry a credit specification:
 * EC2 refuses one for any other type (InstanceCreditSpecification.NotSupported).
 */
const BURSTABLE = /^t(?:2|3|3a|4g)\./;

/** Whether `instanceType` earns CPU credits (T2, T3, T3a, T4g). */
export function isBurstable(instanceType: string): boolean {
  return BURSTABLE.test(instanceType);
}

/** What the ECS agent reads from /etc/ecs/ecs.config, beyond the cluster name CDK adds. */
export const ECS_AGENT_CONFIG = [
  // No task may run a privileged container on these instances, whatever a task definition
  // revision (deploy-kit registers them from CI) asks for: a privileged container owns the host.
  "ECS_DISABLE_PRIVILEGED=true",
] as const;

export interface Ec2CapacityOptions {
  /**
   * The instance type of the Auto Scaling group.
   *
   * @default "t3.micro" (DEFAULT_INSTANCE_TYPE)
   */
  readonly instanceType?: string;
  /**
   * The fewest instances the group keeps running.
   *
   * @default 1
   */
  readonly minInstances?: number;
  /**
   * The most instances the group (driven by ECS managed scaling) starts. A rolling update places
   * the new task before the old one stops, so one instance that fits one task needs room for a
   * second.
   *
   * @default 2
   */
  readonly maxInstances?: number;
  /** The load balancer's security group: the only source the instances admit traffic from. */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** Where the instances run: the same subnets as the Fargate tasks. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /**
   * Whether the instances get a public IP: true in the public network layout, where they reach
   * ECS, ECR and CloudWatch Logs without a NAT gateway.
   */
  readonly associatePublicIpAddress: boolean;
  /**
   * Size of each instance's encrypted root volume in GiB (the ECS-optimized AMI's own is 30).
   *
   * @default 30
   */
  readonly rootVolumeGiB?: number;
  /**
   * The CPU credit option of a burstable type. "unlimited" bursts past the earned credits and
   * bills every vCPU-hour beyond them, a surprise on a busy month; "standard" throttles to the
   * baseline instead. Refused for other types, which earn no credits.
   *
   * @default "standard" for burstable types (T2, T3, T3a, T4g); none for the others
   */
  readonly cpuCredits?: "standard" | "unlimited";
}

export interface ClusterProps {
  readonly vpc: ec2.IVpc;
  /** The cluster's name: awsNames(project, env).cluster, which deploy-kit finds it by. */
  readonly clusterName: string;
  /**
   * EC2 capacity next to Fargate and Fargate Spot.
   *
   * @default - no EC2 capacity: the cluster has only the FARGATE and FARGATE_SPOT providers
   */
  readonly ec2Capacity?: Ec2CapacityOptions;
}

/**
 * The environment's ECS cluster: Container Insights on, FARGATE and FARGATE_SPOT capacity
 * providers, and optionally an EC2 capacity provider over an Auto Scaling group.
 */
export class Cluster extends Construct {
  public readonly cluster: ecs.Cluster;
  /** Undefined without EC2 capacity. */
  public readonly ec2Capacity: Ec2Capacity | undefined;
  /** The EC2 instances' group; undefined without EC2 capacity. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup | undefined;
  public readonly launchTemplate: ec2.LaunchTemplate | undefined;
  /** The instances' role: the ECS agent's permissions, scoped by this construct. */
  public readonly instanceRole: iam.Role | undefined;
  /** The log groups the instances may write to (see allowInstanceLogs). */
  private readonly instanceLogGroups: logs.ILogGroup[] = [];

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);

    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: props.vpc,
      clusterName: props.clusterName,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });

    const options = props.ec2Capacity;
    if (!options) {
      this.ec2Capacity = undefined;
      this.autoScalingGroup = undefined;
      this.launchTemplate = undefined;
      this.instanceRole = undefined;
      return;
    }
    const instanceType = options.instanceType ?? DEFAULT_INSTANCE_TYPE;
    const minInstances = options.minInstances ?? 1;
    const maxInstances = options.maxInstances ?? 2;
    validateCapacity(this, instanceType, minInstances, maxInstances);
    if (options.cpuCredits !== undefined && !isBurstable(instanceType)) {
      throw new InfraValidationError(
        this,
        "ec2Capacity.cpuCredits",
        options.cpuCredits,
        `applies only to burstable instance types (T2, T3, T3a, T4g), and ${instanceType} is not one: EC2 refuses the launch template`,
        "remove ec2.cpuCredits, or choose a burstable instanceType such as t3.micro",
      );
    }
    const cpuCredits = isBurstable(instanceType)
      ? options.cpuCredits === "unlimited"
        ? ec2.CpuCredits.UNLIMITED
        : ec2.CpuCredits.STANDARD
      : undefined;

    const securityGroup = new ec2.SecurityGroup(this, "Ec2SecurityGroup", {
      vpc: props.vpc,
      description: `${props.clusterName} EC2 container instances: dynamic host ports from the load balancer only`,
      // Instances pull images, send logs and talk to the ECS control plane over the internet.
      allowAllOutbound: true,
    });
    // Bridge mode with host port 0: ECS maps each container to a free port in the ephemeral
    // range, so several tasks (and a rolling update's second task) share one small instance.
    // connections.allowFrom also opens the load balancer's egress to this range.
    securityGroup.connections.allowFrom(
      options.loadBalancerSecurityGroup,
      ec2.Port.tcpRange(EPHEMERAL_PORTS.from, EPHEMERAL_PORTS.to),
      "Dynamic host ports of bridge-mode tasks, from the load balancer only",
    );

    const rootVolumeGiB = options.rootVolumeGiB ?? 30;
    this.instanceRole = new iam.Role(this, "Ec2InstanceRole", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
      description: `${props.clusterName} EC2 container instances (the ECS agent's permissions only)`,
    });
    const userData = ec2.UserData.forLinux();
    userData.addCommands(...ECS_AGENT_CONFIG.map((line) => `echo ${line} >> /etc/ecs/ecs.config`));
    this.launchTemplate = new ec2.LaunchTemplate(this, "Ec2LaunchTemplate", {
      instanceType: new ec2.InstanceType(instanceType),
      // The SSM public parameter of the recommended AMI, resolved by CloudFormation at deploy
      // time: no lookup at synth, and each deploy picks up the current AMI for new instances.
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(
        instanceArchitecture(instanceType) === "arm64"
          ? ecs.AmiHardwareType.ARM
          : ecs.AmiHardwareType.STANDARD,
      ),
      // The capacity provider appends the cluster's name to the ECS agent's configuration.
      userData,
      // Without policy updates: the capacity provider would add the agent's statements with
      // logs:CreateLogStream and logs:PutLogEvents on every log group of the account; the
      // policies below give the agent what it needs, the logs actions only on the apps' groups.
      role: this.instanceRole.withoutPolicyUpdates(),
      // T3 launches "unlimited" unless told otherwise (T2 "standard"): set it, for T types only.
      ...(cpuCredits === undefined ? {} : { cpuCredits }),
      securityGroup,
      associatePublicIpAddress: options.associatePublicIpAddress,
      // IMDSv2 only, and a hop limit of 1: a bridge-mode container is one hop further than the
      // instance, so it cannot fetch a token and with it the instance role's credentials.
      // Containers use their task role.
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: "/dev/xvda",
          volume: ec2.BlockDeviceVolume.ebs(rootVolumeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, "Ec2AutoScalingGroup", {
      vpc: props.vpc,
      vpcSubnets: options.vpcSubnets,
      launchTemplate: this.launchTemplate,
      minCapacity: minInstances,
      maxCapacity: maxInstances,
    });
    cdk.Validations.of(
      this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup,
    ).acknowledge({
      id: "AwsSolutions-AS3",
      reason:
        "ECS managed scaling drives this group; its scaling activities are read on demand (deploy-kit diagnose reads autoscaling:DescribeScalingActivities), so no SNS topic and subscribers are kept for notifications.",
    });

    const capacityProvider = new ecs.AsgCapacityProvider(this, "Ec2CapacityProvider", {
      autoScalingGroup: this.autoScalingGroup,
      // ECS sizes the group from the tasks it has to place (CapacityProviderReservation).
      enableManagedScaling: true,
      // Managed termination protection is off. With it on, every instance is protected from
      // scale-in while it runs a task, and the capacity provider protects new instances from
      // the start; deleting the stack then hangs in DELETE_IN_PROGRESS because CloudFormation
      // cannot terminate protected instances (aws/aws-cdk#18179, #14732). Managed draining below
      // gives what termination protection was for: tasks are moved before an instance goes.
      enableManagedTerminationProtection: false,
      // Managed draining, explicitly on: ECS adds a lifecycle hook to the group and sets an
      // instance to DRAINING before Auto Scaling terminates it, so its tasks are placed elsewhere
      // first, whether the instance goes in a scale-in, an instance refresh or a stack deletion.
      // Explicit (CloudFormation would default it on) because CDK only leaves out its older
      // drain hook, a Lambda function behind an SNS topic, when this flag is set. Deleting the
      // environment deletes the service stacks first (they depend on this one), so by then the
      // instances have no tasks left to drain and nothing waits.
      enableManagedDraining: true,
    });
    this.cluster.addAsgCapacityProvider(capacityProvider);

    this.addAgentPolicies(this.instanceRole, this.cluster.clusterArn);

    this.ec2Capacity = { capacityProvider, instanceType, securityGroup, maxInstances };
  }

  /**
   * Lets the instances write to `logGroups`: the ECS agent's fallback for the awslogs driver of a
   * task without an execution role (every app has one, so the agent normally uses that role).
   * Without EC2 capacity this does nothing.
   */
  public allowInstanceLogs(logGroups: readonly logs.ILogGroup[]): void {
    const role = this.instanceRole;
    if (!role || logGroups.length === 0) return;
    const first = this.instanceLogGroups.length === 0;
    this.instanceLogGroups.push(...logGroups);
    if (!first) return;
    new iam.Policy(this, "Ec2AppLogsPolicy", {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: "AppLogs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          // Lazy, so groups passed by later calls land in the same statement.
          resources: cdk.Lazy.list({
            produce: () => this.instanceLogGroups.map((group) => group.logGroupArn),
          }),
        }),
      ],
    });
  }

  /**
   * The ECS agent's permissions (the actions of the AmazonEC2ContainerServiceforEC2Role managed
   * policy that the agent uses), each wildcard statement in a policy of its own so that each
   * cdk-nag acknowledgement gives that statement's own reason.
   */
  private addAgentPolicies(role: iam.Role, clusterArn: string): void {
    new iam.Policy(this, "Ec2AgentPolicy", {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: "EcsAgentCluster",
          // ecs:Submit* expanded: the agent reports task, container and attachment state.
          actions: [
            "ecs:DeregisterContainerInstance",
            "ecs:RegisterContainerInstance",
            "ecs:SubmitAttachmentStateChanges",
            "ecs:SubmitContainerStateChange",
            "ecs:SubmitTaskStateChange",
          ],
          resources: [clusterArn],
        }),
      ],
    });
    const wildcard = (id: string, statement: iam.PolicyStatement, reason: string) => {
      const policy = new iam.Policy(this, id, { roles: [role], statements: [statement] });
      cdk.Validations.of(policy.node.defaultChild as iam.CfnPolicy).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason,
      });
    };
    wildcard(
      "Ec2AgentPollPolicy",
      new iam.PolicyStatement({
        sid: "EcsAgentPoll",
        actions: ["ecs:Poll", "ecs:StartTelemetrySession"],
        resources: ["*"],
        conditions: { ArnEquals: { "ecs:cluster": clusterArn } },
      }),
      "ecs:Poll and ecs:StartTelemetrySession act on container instances, whose ARNs exist only after registration; the ecs:cluster condition limits them to this cluster.",
    );
    wildcard(
      "Ec2AgentDiscoverPolicy",
      new iam.PolicyStatement({
        sid: "EcsAgentDiscover",
        actions: ["ecs:DiscoverPollEndpoint"],
        resources: ["*"],
      }),
      "ecs:DiscoverPollEndpoint supports no resource-level permission (Service Authorization Reference): it only returns the region's ECS endpoint.",
    );
    wildcard(
      "Ec2EcrLoginPolicy",
      new iam.PolicyStatement({
        sid: "EcrLogin",
        actions: ["ecr:GetAuthorizationToken"],
        resources: ["*"],
      }),
      "ecr:GetAuthorizationToken supports no resource-level permission: it returns a registry login token, and pulling still needs rights on a repository, which this role has none of.",
    );
  }
}

function validateCapacity(
  scope: Construct,
  instanceType: string,
  minInstances: number,
  maxInstances: number,
): void {
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) {
    throw new InfraValidationError(
      scope,
      "ec2Capacity.instanceType",
      instanceType,
      "is not an EC2 instance type",
      `set ec2.instanceType to a type such as "${DEFAULT_INSTANCE_TYPE}"`,
    );
  }
  if (!Number.isInteger(minInstances) || minInstances < 0) {
    throw new InfraValidationError(
      scope,
      "ec2Capacity.minInstances",
      minInstances,
      "must be a whole number of instances, 0 or more",
      "set ec2.minInstances to 0 or more, for example 1",
    );
  }
  if (!Number.isInteger(maxInstances) || maxInstances < 1 || maxInstances < minInstances) {
    throw new InfraValidationError(
      scope,
      "ec2Capacity.maxInstances",
      maxInstances,
      `must be a whole number of at least 1 and at least minInstances (${minInstances})`,
      `set ec2.maxInstances to ${Math.max(minInstances, 2)} or more`,
    );
  }
}

import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as ecr from "aws-cdk-lib/aws-ecr";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as route53 from "aws-cdk-lib/aws-route53";
import type * as ssm from "aws-cdk-lib/aws-ssm";

/**
 * The value of an app's image parameter until its first release: an image that exists (so the
 * task definition is valid), while the service runs no task of it (see AppService).
 */
export const UNRELEASED_IMAGE = "public.ecr.aws/docker/library/busybox:stable";

/** What the platform stack keeps for one app: created once, kept across service changes. */
export interface AppPlatformResources {
  /** The app's ECR repository (immutable tags, scan on push). */
  readonly repository: ecr.IRepository;
  /** The app's log group, with a retention period. */
  readonly logGroup: logs.ILogGroup;
  /** The SSM parameter holding the image the app runs; deploy-kit writes it after each release. */
  readonly imageParameter: ssm.IStringParameter;
}

/** The EC2 capacity of a cluster, when the environment has it. */
export interface Ec2Capacity {
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** e.g. "t3.micro": the service construct checks tasks fit what this type registers. */
  readonly instanceType: string;
  /** The instances' security group: it admits the ephemeral port range from the ALB only. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** How many instances the group may run; a rolling update needs room for a second task. */
  readonly maxInstances: number;
}

/**
 * What the platform stack of an environment gives each app's service stack. The contract between
 * PlatformStack (producer) and AppServiceStack (consumer).
 */
export interface PlatformResources {
  readonly project: string;
  readonly environment: string;
  /** Apps live at <subdomain>.<domain>. */
  readonly domain: string;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  /** Where Fargate tasks run, and whether they need a public IP (public subnets, no NAT). */
  readonly taskSubnets: ec2.SubnetSelection;
  readonly assignPublicIp: boolean;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** The single HTTPS listener; each service adds a host-header rule to it. */
  readonly httpsListener: elbv2.IApplicationListener;
  readonly hostedZone: route53.IHostedZone;
  /** Undefined when no app of the environment runs on EC2. */
  readonly ec2Capacity: Ec2Capacity | undefined;
  /** Per app, by app name. */
  readonly apps: Readonly<Record<string, AppPlatformResources>>;
  /**
   * The deploy role CI assumes through GitHub OIDC; each service stack grants it what releasing
   * that app needs. Undefined when platform.config.json names no GitHub repository.
   */
  readonly deployRole: iam.IRole | undefined;
}

import * as cdk from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";

/** Where tasks run: see NetworkProps.network. */
export type NetworkKind = "public" | "private";

export interface NetworkProps {
  /**
   * The availability zones, named explicitly so synth needs no AWS credentials (no lookup).
   * Two or three zones of one region.
   */
  readonly availabilityZones: readonly string[];
  /**
   * "public": public subnets only and no NAT gateway; tasks get a public IP (for ECR, logs and
   * the ECS endpoints) and their security groups admit traffic from the load balancer only.
   * "private": public subnets for the load balancer and the NAT gateways, private subnets with
   * egress for tasks, one NAT gateway per zone (so one zone failing does not cut the others off).
   *
   * @default "public"
   */
  readonly network?: NetworkKind;
  /**
   * The VPC's IPv4 range.
   *
   * @default "10.0.0.0/16"
   */
  readonly cidr?: string;
  /**
   * How long VPC flow logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * The VPC of one environment: subnets over explicit zones, flow logs to CloudWatch Logs and a
 * default security group with every rule removed (nothing should use it).
 */
export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  /** Where Fargate tasks (and EC2 instances) run. */
  public readonly taskSubnets: ec2.SubnetSelection;
  /** True in the public layout: tasks reach ECR and CloudWatch through their own public IP. */
  public readonly assignPublicIp: boolean;
  /** The NAT gateways the layout has: 0 in "public", one per zone in "private". */
  public readonly natGateways: number;
  public readonly flowLogGroup: logs.LogGroup;
  public readonly flowLog: ec2.FlowLog;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const kind = props.network ?? "public";
    validate(this, props, kind);
    const zones = [...props.availabilityZones];

    this.natGateways = kind === "private" ? zones.length : 0;
    const subnetConfiguration: ec2.SubnetConfiguration[] = [
      // Nothing gets a public IP by accident: what needs one (Fargate tasks, instances in the
      // public layout) asks for it explicitly.
      {
        name: "Public",
        subnetType: ec2.SubnetType.PUBLIC,
        cidrMask: 24,
        mapPublicIpOnLaunch: false,
      },
    ];
    if (kind === "private") {
      subnetConfiguration.push({
        name: "Private",
        subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
        cidrMask: 20,
      });
    }

    this.vpc = new ec2.Vpc(this, "Vpc", {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? "10.0.0.0/16"),
      availabilityZones: zones,
      natGateways: this.natGateways,
      subnetConfiguration,
      // A custom resource removes the default security group's rules: CloudFormation cannot.
      restrictDefaultSecurityGroup: true,
    });

    // CloudFormation's linter advises against naming zones in a template. Here they are named on
    // purpose: they come from platform.config.json, so synth needs no AWS call to look them up.
    for (const subnet of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets]) {
      cdk.Validations.of(subnet.node.defaultChild as ec2.CfnSubnet).acknowledge({
        id: "CloudFormation-Validate::W3010",
        reason:
          "The zones are configured explicitly (environments.<env>.availabilityZones) so that synth runs offline without a lookup.",
      });
    }

    this.flowLogGroup = new logs.LogGroup(this, "FlowLogGroup", {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      // Flow logs are diagnostics of this VPC only: they go with it.
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    this.flowLog = this.vpc.addFlowLog("FlowLog", {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.assignPublicIp = kind === "public";
    this.taskSubnets = {
      subnetType: kind === "public" ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };
  }
}

function validate(scope: Construct, props: NetworkProps, kind: string): void {
  const zones = props.availabilityZones;
  if (kind !== "public" && kind !== "private") {
    throw new InfraValidationError(
      scope,
      "network",
      kind,
      "is not a network layout",
      'set network to "public" (public subnets, no NAT gateway) or "private" (one NAT gateway per zone)',
    );
  }
  if (zones.some((zone) => cdk.Token.isUnresolved(zone))) return;
  if (zones.length < 2 || zones.length > 3) {
    throw new InfraValidationError(
      scope,
      "availabilityZones",
      zones,
      `names ${zones.length} zone(s), but a load balancer needs at least 2 and the platform uses at most 3`,
      'name 2 or 3 zones of the region, for example ["eu-west-1a", "eu-west-1b"]',
    );
  }
  const duplicate = zones.find((zone, index) => zones.indexOf(zone) !== index);
  if (duplicate !== undefined) {
    throw new InfraValidationError(
      scope,
      "availabilityZones",
      zones,
      `names ${duplicate} twice`,
      "name each zone once",
    );
  }
  const region = cdk.Stack.of(scope).region;
  if (cdk.Token.isUnresolved(region)) return;
  const foreign = zones.find(
    (zone) => !(zone.startsWith(region) && /^[a-z]$/.test(zone.slice(region.length))),
  );
  if (foreign !== undefined) {
    throw new InfraValidationError(
      scope,
      "availabilityZones",
      zones,
      `${foreign} is not a zone of the stack's region ${region}`,
      `name zones of ${region}, such as ${region}a and ${region}b`,
    );
  }
}

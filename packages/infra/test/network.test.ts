import * as cdk from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, test } from "vitest";
import { Network } from "../src/constructs/network.js";
import { newStack } from "./support/platform.js";

function networkStack(props: Partial<ConstructorParameters<typeof Network>[2]> = {}) {
  const stack = newStack("Net");
  const network = new Network(stack, "Network", {
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    ...props,
  });
  return { stack, network, template: Template.fromStack(stack) };
}

describe("Network", () => {
  let defaults: ReturnType<typeof networkStack>;
  beforeAll(() => {
    // GIVEN / WHEN a network with the default layout over two zones
    defaults = networkStack();
  });

  test("the default public layout has public subnets only and no NAT gateway", () => {
    const { network, template } = defaults;

    // THEN there is no NAT gateway and only the two public subnets
    template.resourceCountIs("AWS::EC2::NatGateway", 0);
    template.resourceCountIs("AWS::EC2::EIP", 0);
    template.resourceCountIs("AWS::EC2::Subnet", 2);
    template.allResourcesProperties("AWS::EC2::Subnet", {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: "aws-cdk:subnet-type", Value: "Public" }]),
    });
    template.hasResourceProperties("AWS::EC2::Subnet", { AvailabilityZone: "eu-west-1a" });
    template.hasResourceProperties("AWS::EC2::Subnet", { AvailabilityZone: "eu-west-1b" });
    // AND tasks run in them with a public IP
    expect(network.assignPublicIp).toBe(true);
    expect(network.taskSubnets).toEqual({ subnetType: cdk.aws_ec2.SubnetType.PUBLIC });
    expect(network.natGateways).toBe(0);
  });

  test.each([
    [["eu-west-1a", "eu-west-1b"], 2],
    [["eu-west-1a", "eu-west-1b", "eu-west-1c"], 3],
  ])("the private layout over %j has one NAT gateway per zone", (zones, count) => {
    // GIVEN / WHEN a private network over the zones
    const { network, template } = networkStack({ availabilityZones: zones, network: "private" });

    // THEN each zone has a NAT gateway and a public and a private subnet
    template.resourceCountIs("AWS::EC2::NatGateway", count);
    template.resourceCountIs("AWS::EC2::Subnet", count * 2);
    template.resourceCountIs("AWS::EC2::Route", count * 2);
    template.hasResourceProperties("AWS::EC2::Route", {
      DestinationCidrBlock: "0.0.0.0/0",
      NatGatewayId: Match.anyValue(),
    });
    expect(network.assignPublicIp).toBe(false);
    expect(network.taskSubnets).toEqual({
      subnetType: cdk.aws_ec2.SubnetType.PRIVATE_WITH_EGRESS,
    });
  });

  test("all traffic is logged to a CloudWatch Logs group", () => {
    const { template } = defaults;

    // THEN a flow log of ALL traffic goes to the network's log group
    template.hasResourceProperties("AWS::EC2::FlowLog", {
      ResourceType: "VPC",
      TrafficType: "ALL",
      LogDestinationType: "cloud-watch-logs",
      LogGroupName: { Ref: Match.stringLikeRegexp("^NetworkFlowLogGroup") },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  test("the default security group loses its rules", () => {
    const { template } = defaults;

    // THEN CDK's custom resource strips the default security group
    template.hasResourceProperties("Custom::VpcRestrictDefaultSG", {
      DefaultSecurityGroupId: {
        "Fn::GetAtt": [Match.stringLikeRegexp("^NetworkVpc"), "DefaultSecurityGroup"],
      },
    });
  });

  test.each([
    [
      "one zone",
      { availabilityZones: ["eu-west-1a"] },
      /availabilityZones = \["eu-west-1a"\]: names 1 zone\(s\).*Fix: name 2 or 3 zones/,
    ],
    [
      "four zones",
      { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"] },
      /names 4 zone\(s\)/,
    ],
    ["a zone twice", { availabilityZones: ["eu-west-1a", "eu-west-1a"] }, /names eu-west-1a twice/],
    [
      "a zone of another region",
      { availabilityZones: ["eu-west-1a", "us-east-1a"] },
      /us-east-1a is not a zone of the stack's region eu-west-1.*Fix: name zones of eu-west-1/,
    ],
    [
      "an unknown layout",
      { network: "hybrid" as never },
      /network = "hybrid": is not a network layout/,
    ],
  ])("refuses %s", (_name, props, message) => {
    // GIVEN bad props / WHEN the network is built / THEN the error names the prop and the fix
    expect(() => networkStack(props)).toThrow(message);
  });
});

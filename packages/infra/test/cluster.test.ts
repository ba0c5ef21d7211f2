import { Match } from "aws-cdk-lib/assertions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { beforeAll, describe, expect, test } from "vitest";
import { Cluster, type Ec2CapacityOptions } from "../src/constructs/cluster.js";
import { platformFixture, resolvedApp, stackWithVpc } from "./support/platform.js";

describe("Cluster in the platform stack", () => {
  let withEc2App: ReturnType<typeof platformFixture>;
  beforeAll(() => {
    // GIVEN an app with capacity "ec2" and no ec2 settings in the environment
    withEc2App = platformFixture({
      apps: [
        // 400 MiB: two tasks per t3.micro, so its rolling update fits the default two instances
        resolvedApp({ name: "api", capacity: "ec2", memory: 400, desiredCount: 1, maxCount: 2 }),
        resolvedApp({ name: "web" }),
      ],
    });
  });

  test("without EC2 apps: FARGATE and FARGATE_SPOT only, Container Insights on", () => {
    // GIVEN / WHEN the default platform (two Fargate apps, no ec2 settings)
    const { stack, template } = platformFixture();

    // THEN the cluster has its contract name, Container Insights and the two Fargate providers
    template.hasResourceProperties("AWS::ECS::Cluster", {
      ClusterName: "platform-staging",
      ClusterSettings: [{ Name: "containerInsights", Value: "enabled" }],
    });
    template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", {
      CapacityProviders: ["FARGATE", "FARGATE_SPOT"],
    });
    // AND no EC2 capacity at all
    template.resourceCountIs("AWS::ECS::CapacityProvider", 0);
    template.resourceCountIs("AWS::AutoScaling::AutoScalingGroup", 0);
    template.resourceCountIs("AWS::EC2::LaunchTemplate", 0);
    expect(stack.resources.ec2Capacity).toBeUndefined();
  });

  test("an app on ec2 capacity adds a t3.micro capacity provider", () => {
    const { stack, template } = withEc2App;

    // THEN an Auto Scaling group of t3.micro (1 to 2 instances) backs a managed capacity provider
    template.hasResourceProperties("AWS::EC2::LaunchTemplate", {
      LaunchTemplateData: Match.objectLike({
        InstanceType: "t3.micro",
        ImageId: {
          Ref: Match.stringLikeRegexp("amazonlinux2023recommendedimageid"),
        },
      }),
    });
    template.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", {
      MinSize: "1",
      MaxSize: "2",
    });
    template.hasResourceProperties("AWS::ECS::CapacityProvider", {
      AutoScalingGroupProvider: {
        AutoScalingGroupArn: { Ref: Match.stringLikeRegexp("Ec2AutoScalingGroup") },
        ManagedScaling: { Status: "ENABLED", TargetCapacity: 100 },
        ManagedTerminationProtection: "DISABLED",
        ManagedDraining: "ENABLED",
      },
    });
    template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", {
      CapacityProviders: [
        "FARGATE",
        "FARGATE_SPOT",
        { Ref: Match.stringLikeRegexp("Ec2CapacityProvider") },
      ],
    });
    // AND CDK's older Lambda drain hook is not added (managed draining replaces it)
    template.resourceCountIs("AWS::AutoScaling::LifecycleHook", 0);
    template.resourceCountIs("AWS::Lambda::Function", 1); // the default-SG custom resource only
    expect(stack.resources.ec2Capacity).toMatchObject({
      instanceType: "t3.micro",
      maxInstances: 2,
    });
  });

  test("instances require IMDSv2 with a hop limit of 1 and an encrypted root volume", () => {
    // GIVEN / WHEN a platform with EC2 capacity
    const { template } = withEc2App;

    // THEN the launch template closes IMDSv1 and keeps bridge-mode containers off the metadata
    template.hasResourceProperties("AWS::EC2::LaunchTemplate", {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: {
          HttpEndpoint: "enabled",
          HttpTokens: "required",
          HttpPutResponseHopLimit: 1,
        },
        BlockDeviceMappings: [
          { DeviceName: "/dev/xvda", Ebs: { Encrypted: true, VolumeSize: 30, VolumeType: "gp3" } },
        ],
      }),
    });
  });

  test("the instances admit the ephemeral port range from the load balancer only", () => {
    // GIVEN / WHEN a platform with EC2 capacity
    const { stack, template } = withEc2App;
    const capacity = stack.resources.ec2Capacity;
    if (!capacity) throw new Error("expected EC2 capacity");
    const instanceGroup = stack.resolve(capacity.securityGroup.securityGroupId);
    const loadBalancerGroup = stack.resolve(
      stack.resources.loadBalancerSecurityGroup.securityGroupId,
    );

    // THEN the instances' group has exactly one ingress rule: 32768-65535 from the ALB's group
    const ingress = Object.values(template.findResources("AWS::EC2::SecurityGroupIngress")).filter(
      (rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(instanceGroup),
    );
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.Properties).toMatchObject({
      IpProtocol: "tcp",
      FromPort: 32768,
      ToPort: 65535,
      SourceSecurityGroupId: loadBalancerGroup,
    });
    // AND no security group of the stack admits anything else inline: only the ALB's 80 and 443
    const inline = Object.values(template.findResources("AWS::EC2::SecurityGroup")).flatMap(
      (group) =>
        (group.Properties.SecurityGroupIngress as Array<{ FromPort: number; CidrIp: string }>) ??
        [],
    );
    expect(inline.map((rule) => [rule.FromPort, rule.CidrIp])).toEqual([
      [443, "0.0.0.0/0"],
      [80, "0.0.0.0/0"],
    ]);
  });

  test("the ECS agent refuses privileged containers on the instances", () => {
    // GIVEN / WHEN a platform with EC2 capacity
    const { template } = withEc2App;
    const [launchTemplate] = Object.values(template.findResources("AWS::EC2::LaunchTemplate"));
    const userData = JSON.stringify(launchTemplate?.Properties.LaunchTemplateData.UserData);

    // THEN the user data writes the setting into the agent's config, next to the cluster's name
    expect(userData).toContain("echo ECS_DISABLE_PRIVILEGED=true >> /etc/ecs/ecs.config");
    expect(userData).toContain("echo ECS_CLUSTER=");
  });

  test.each<[string, { instanceType: string; cpuCredits?: "standard" | "unlimited" }, unknown]>([
    ["t3.micro, by default", { instanceType: "t3.micro" }, { CpuCredits: "standard" }],
    ["t4g.small, by default", { instanceType: "t4g.small" }, { CpuCredits: "standard" }],
    [
      "t3.small, when asked for unlimited",
      { instanceType: "t3.small", cpuCredits: "unlimited" },
      { CpuCredits: "unlimited" },
    ],
    ["m7g.large, which earns no credits", { instanceType: "m7g.large" }, Match.absent()],
  ])("CPU credits of %s", (_name, ec2Settings, expected) => {
    // GIVEN ec2 settings / WHEN the platform is built
    const { template } = platformFixture({
      environment: { ec2: { minInstances: 1, maxInstances: 2, ...ec2Settings } },
    });
    // THEN burstable types get a credit specification, others none (EC2 would refuse it)
    template.hasResourceProperties("AWS::EC2::LaunchTemplate", {
      LaunchTemplateData: Match.objectLike({ CreditSpecification: expected }),
    });
  });

  test("the instance role: the ECS agent's exact actions, logs only to the apps' log groups", () => {
    // GIVEN / WHEN a platform with EC2 capacity
    const { stack, template } = withEc2App;
    const role = stack.clusterConstruct.instanceRole;
    if (!role) throw new Error("expected an instance role");
    const roleRef = stack.resolve(role.roleName);

    // THEN the role's policies hold exactly these statements, and no other policy names the role
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([roleRef]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .map((statement) => [statement.Sid, statement.Action, statement.Resource]);
    const cluster = stack.resolve(stack.clusterConstruct.cluster.clusterArn);
    const logGroups = ["api", "web"].map((app) =>
      stack.resolve(stack.appRegistries[app]?.logGroup.logGroupArn),
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        [
          "EcsAgentCluster",
          [
            "ecs:DeregisterContainerInstance",
            "ecs:RegisterContainerInstance",
            "ecs:SubmitAttachmentStateChanges",
            "ecs:SubmitContainerStateChange",
            "ecs:SubmitTaskStateChange",
          ],
          cluster,
        ],
        ["EcsAgentPoll", ["ecs:Poll", "ecs:StartTelemetrySession"], "*"],
        ["EcsAgentDiscover", "ecs:DiscoverPollEndpoint", "*"],
        ["EcrLogin", "ecr:GetAuthorizationToken", "*"],
        ["AppLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], logGroups],
      ]),
    );
    expect(statements).toHaveLength(5);
    // AND no logs action anywhere on the role reaches every log group
    for (const [, actions, resources] of statements) {
      if (JSON.stringify(actions).includes("logs:")) expect(resources).not.toContain("*");
    }
    // AND the poll statement is held to this cluster
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Sid: "EcsAgentPoll",
            Condition: { ArnEquals: { "ecs:cluster": cluster } },
          }),
        ],
      },
    });
  });

  test("environment ec2 settings choose the type and group size; Graviton gets the arm64 AMI", () => {
    // GIVEN ec2 settings with a Graviton type
    const ec2Settings = { instanceType: "t4g.small", minInstances: 0, maxInstances: 3 };

    // WHEN the platform is built
    const { stack, template } = platformFixture({ environment: { ec2: ec2Settings } });

    // THEN the group and the AMI follow them
    template.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", {
      MinSize: "0",
      MaxSize: "3",
    });
    template.hasResourceProperties("AWS::EC2::LaunchTemplate", {
      LaunchTemplateData: Match.objectLike({
        InstanceType: "t4g.small",
        ImageId: { Ref: Match.stringLikeRegexp("amazonlinux2023arm64recommendedimageid") },
      }),
    });
    expect(stack.resources.ec2Capacity?.maxInstances).toBe(3);
  });

  test.each<[string, Partial<Ec2CapacityOptions>, RegExp]>([
    [
      "a malformed instance type",
      { instanceType: "t3micro" },
      /ec2Capacity.instanceType = "t3micro": is not an EC2 instance type/,
    ],
    ["negative minimum", { minInstances: -1 }, /ec2Capacity.minInstances = -1/],
    [
      "maximum below minimum",
      { minInstances: 3, maxInstances: 2 },
      /ec2Capacity.maxInstances = 2: must be .* at least minInstances \(3\).*Fix: set ec2.maxInstances to 3 or more/,
    ],
    ["no maximum", { maxInstances: 0 }, /ec2Capacity.maxInstances = 0/],
    [
      "CPU credits for a type that earns none",
      { instanceType: "m7g.large", cpuCredits: "standard" },
      /ec2Capacity.cpuCredits = "standard": applies only to burstable instance types .* m7g.large is not one.*Fix: remove ec2.cpuCredits/,
    ],
  ])("refuses %s", (_name, options, message) => {
    // GIVEN a cluster with bad EC2 capacity options
    const { stack, vpc } = stackWithVpc("C");
    const lb = new ec2.SecurityGroup(stack, "Lb", { vpc });

    // WHEN it is built / THEN the error names the prop, the value and the fix
    expect(
      () =>
        new Cluster(stack, "Cluster", {
          vpc,
          clusterName: "c",
          ec2Capacity: {
            loadBalancerSecurityGroup: lb,
            vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
            associatePublicIpAddress: true,
            ...options,
          },
        }),
    ).toThrow(message);
  });
});

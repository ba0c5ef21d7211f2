import * as cdk from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, test } from "vitest";
import { AppServiceStack } from "../src/app-service-stack.js";
import { AppService } from "../src/constructs/app-service.js";
import { UNRELEASED_IMAGE } from "../src/platform-resources.js";
import {
  appNames,
  createPlatform,
  ENV,
  newApp,
  only,
  resolvedApp,
  type ServiceFixture,
  serviceStack,
} from "./support/platform.js";

const IMAGE_PARAMETER = Match.stringLikeRegexp("^SsmParameterValueplatformstagingapiimage");

/** The logical id of the role whose description starts with `description`. */
function roleId(template: Template, description: string): string {
  const roles = template.findResources("AWS::IAM::Role", {
    Properties: { Description: Match.stringLikeRegexp(`^${description}`) },
  });
  const ids = Object.keys(roles);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** The AwsSolutions findings of the constructs under `scope`, as rule ids. */
function nagFindings(scope: cdk.Stack): string[] {
  // validateScope is cdk-nag 3's entry point for tests: the same rules the policy validation
  // plugin runs at synth, on one stack, so the fixture platform's own findings stay out.
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.map((violation) => violation.ruleName).sort();
}

/**
 * A value of the platform stack's, by its export's name: a strong cross-stack reference, which
 * CloudFormation keeps the platform from changing or deleting while this stack imports it.
 */
function platformOutput(outputName: RegExp) {
  return {
    "Fn::ImportValue": Match.stringLikeRegexp(
      `^platform-staging-platform:Exports.*${outputName.source}`,
    ),
  };
}

/** One secret from SSM and one from Secrets Manager. */
const SECRETS = {
  DATABASE_URL: {
    source: "ssm",
    name: "/platform/api/DATABASE_URL",
    raw: "ssm:/platform/api/DATABASE_URL",
  },
  API_KEY: {
    source: "secretsmanager",
    name: "platform/api",
    jsonKey: "apiKey",
    raw: "secretsmanager:platform/api:apiKey",
  },
} as const;

describe("an app on Fargate", () => {
  // GIVEN a platform and an app with secrets from SSM and Secrets Manager
  const fixture: ServiceFixture = serviceStack({ secrets: SECRETS });
  // WHEN the service stack is synthesized
  const template = Template.fromStack(fixture.stack);
  const conditionId = Object.keys(template.findConditions("*"))[0] as string;

  test("the task definition is Fargate (awsvpc) with the app's cpu and memory, kept on replacement", () => {
    // THEN
    template.hasResource("AWS::ECS::TaskDefinition", {
      Properties: Match.objectLike({
        Family: "platform-staging-api",
        NetworkMode: "awsvpc",
        RequiresCompatibilities: ["FARGATE"],
        Cpu: "256",
        Memory: "512",
      }),
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });

  test("one container: named after the app, read-only, no capabilities, an init process, 30 s to stop", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          Name: "api",
          Essential: true,
          ReadonlyRootFilesystem: true,
          StopTimeout: 30,
          LinuxParameters: { Capabilities: { Drop: ["ALL"] }, InitProcessEnabled: true },
          PortMappings: [{ ContainerPort: 8080, Name: "http", Protocol: "tcp" }],
        }),
      ],
    });
  });

  test("the task declares its CPU architecture and Linux, so Fargate never runs it on the wrong one", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      RuntimePlatform: { CpuArchitecture: "X86_64", OperatingSystemFamily: "LINUX" },
    });
  });

  test("/tmp is a writable task volume: the root filesystem is read-only", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      // No host path: task storage that lives and goes with the task
      Volumes: [{ Name: "tmp" }],
      ContainerDefinitions: [
        Match.objectLike({
          ReadonlyRootFilesystem: true,
          MountPoints: [{ ContainerPath: "/tmp", SourceVolume: "tmp", ReadOnly: false }],
        }),
      ],
    });
  });

  test("the environment is the manifest's plus PORT, DEPLOY_ENV, NODE_ENV and the sorted secret names", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: [
            { Name: "LOG_LEVEL", Value: "info" },
            { Name: "CORS_ORIGINS", Value: "https://web.staging.example.com" },
            { Name: "PORT", Value: "8080" },
            { Name: "DEPLOY_ENV", Value: "staging" },
            { Name: "NODE_ENV", Value: "production" },
            // Names only, sorted: server-kit hides these variables' values in errors and logs
            { Name: "PLATFORM_SECRET_NAMES", Value: "API_KEY,DATABASE_URL" },
          ],
        }),
      ],
    });
  });

  test("the image is the app's SSM parameter, resolved by CloudFormation at deploy time", () => {
    const parameters = template.findParameters("*", {
      Type: "AWS::SSM::Parameter::Value<String>",
      Default: "/platform/staging/api/image",
    });
    const [parameterId] = Object.keys(parameters);
    expect(parameterId).toMatch(/^SsmParameterValueplatformstagingapiimage/);
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [Match.objectLike({ Image: { Ref: parameterId } })],
    });
  });

  test("until the first release the service and the autoscaling minimum are 0", () => {
    // THEN the condition compares the resolved parameter with the placeholder image
    template.hasCondition(conditionId, {
      "Fn::Equals": [{ Ref: IMAGE_PARAMETER }, UNRELEASED_IMAGE],
    });
    template.hasResourceProperties("AWS::ECS::Service", {
      DesiredCount: { "Fn::If": [conditionId, 0, { Ref: "AWS::NoValue" }] },
    });
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      MinCapacity: { "Fn::If": [conditionId, 0, 1] },
      MaxCapacity: 4,
    });
  });

  test("once released, the template sets no desired count: autoscaling owns it", () => {
    // GIVEN the manifest's desiredCount of 2
    const [service] = Object.values(template.findResources("AWS::ECS::Service"));
    // THEN the released branch of DesiredCount removes the property, so a stack update of an
    // existing service leaves its running count alone, and the manifest's number appears nowhere
    const desired = service?.Properties.DesiredCount as { "Fn::If": unknown[] };
    expect(desired["Fn::If"].slice(1)).toEqual([0, { Ref: "AWS::NoValue" }]);
  });

  test("the container health check runs node on the image's healthcheck.mjs", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          HealthCheck: {
            Command: ["CMD", "/nodejs/bin/node", "/app/healthcheck.mjs"],
            Interval: 10,
            Timeout: 5,
            Retries: 3,
            StartPeriod: 10,
          },
        }),
      ],
    });
  });

  test("secrets are ECS secrets by reference, never environment values", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          Secrets: [
            {
              Name: "DATABASE_URL",
              ValueFrom: "arn:aws:ssm:eu-west-1:111111111111:parameter/platform/api/DATABASE_URL",
            },
            {
              Name: "API_KEY",
              ValueFrom:
                "arn:aws:secretsmanager:eu-west-1:111111111111:secret:platform/api:apiKey::",
            },
          ],
        }),
      ],
    });
    const [definition] = Object.values(template.findResources("AWS::ECS::TaskDefinition"));
    const environment: Array<{ Name: string; Value: string }> =
      definition?.Properties.ContainerDefinitions[0].Environment;
    // No secret is a plain variable, and no reference appears in one: only the names are listed
    expect(environment.map((entry) => entry.Name)).not.toContain("DATABASE_URL");
    expect(environment.map((entry) => entry.Name)).not.toContain("API_KEY");
    expect(JSON.stringify(environment)).not.toMatch(/ssm|secretsmanager|apiKey|\/platform\//);
  });

  test("logs go to the platform's log group with the app's stream prefix", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          LogConfiguration: {
            LogDriver: "awslogs",
            Options: {
              "awslogs-group": platformOutput(/OutputRefapiLogs/),
              "awslogs-stream-prefix": "api",
              "awslogs-region": "eu-west-1",
              mode: "non-blocking",
              "max-buffer-size": "26214400b",
            },
          },
        }),
      ],
    });
  });

  test("the execution role may pull the app's repository, write its logs and read its secrets only", () => {
    const executionRoleId = roleId(template, "ECS task execution role");
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: executionRoleId }],
      PolicyDocument: {
        Statement: [
          {
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Effect: "Allow",
            Resource: platformOutput(/OutputFnGetAttapiLogs.*Arn/),
          },
          {
            Action: [
              "ssm:DescribeParameters",
              "ssm:GetParameter",
              "ssm:GetParameterHistory",
              "ssm:GetParameters",
            ],
            Effect: "Allow",
            Resource: "arn:aws:ssm:eu-west-1:111111111111:parameter/platform/api/DATABASE_URL",
          },
          {
            Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            Effect: "Allow",
            Resource: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:platform/api-??????",
          },
          {
            Action: [
              "ecr:BatchCheckLayerAvailability",
              "ecr:BatchGetImage",
              "ecr:GetDownloadUrlForLayer",
            ],
            Effect: "Allow",
            Resource: platformOutput(/OutputFnGetAttapiRepository.*Arn/),
          },
          { Action: "ecr:GetAuthorizationToken", Effect: "Allow", Resource: "*" },
        ],
      },
    });
  });

  test("the task role is separate, trusted by ECS tasks, and grants nothing by default", () => {
    const taskRoles = template.findResources("AWS::IAM::Role", {
      Properties: {
        Description: Match.stringLikeRegexp("^Task role"),
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: "ecs-tasks.amazonaws.com" } })],
        },
      },
    });
    const [taskRoleId] = Object.keys(taskRoles);
    expect(taskRoleId).toBeDefined();
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      TaskRoleArn: { "Fn::GetAtt": [taskRoleId, "Arn"] },
      ExecutionRoleArn: { "Fn::GetAtt": [Match.not(taskRoleId), "Arn"] },
    });
    const policiesOfTaskRole = template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: Match.arrayWith([{ Ref: taskRoleId }]) },
    });
    expect(policiesOfTaskRole).toEqual({});
    expect(fixture.stack.service.taskRole.roleArn).toBeDefined();
  });

  test("the service rolls out with circuit breaker and rollback, 100 % / 200 %, on FARGATE", () => {
    template.hasResourceProperties("AWS::ECS::Service", {
      ServiceName: "api",
      Cluster: platformOutput(/OutputRefCluster/),
      TaskDefinition: { Ref: only(template, "AWS::ECS::TaskDefinition").id },
      DeploymentController: { Type: "ECS" },
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      CapacityProviderStrategy: [{ CapacityProvider: "FARGATE", Weight: 1 }],
      LaunchType: Match.absent(),
      EnableECSManagedTags: true,
      PropagateTags: "SERVICE",
      EnableExecuteCommand: false,
      HealthCheckGracePeriodSeconds: 30,
      LoadBalancers: [
        {
          ContainerName: "api",
          ContainerPort: 8080,
          TargetGroupArn: {
            Ref: only(template, "AWS::ElasticLoadBalancingV2::TargetGroup").id,
          },
        },
      ],
    });
  });

  test("tasks run in the platform's task subnets with a public IP, in their own security group", () => {
    const securityGroupId = only(template, "AWS::EC2::SecurityGroup").id;
    template.hasResourceProperties("AWS::ECS::Service", {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: "ENABLED",
          SecurityGroups: [{ "Fn::GetAtt": [securityGroupId, "GroupId"] }],
          Subnets: [
            platformOutput(/OutputRefVpcpublicSubnet1/),
            platformOutput(/OutputRefVpcpublicSubnet2/),
          ],
        },
      },
    });
  });

  test("the tasks' security group admits the app port from the load balancer's group only", () => {
    const securityGroupId = only(template, "AWS::EC2::SecurityGroup").id;
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      SecurityGroupIngress: Match.absent(),
    });
    template.resourceCountIs("AWS::EC2::SecurityGroupIngress", 1);
    template.hasResourceProperties("AWS::EC2::SecurityGroupIngress", {
      GroupId: { "Fn::GetAtt": [securityGroupId, "GroupId"] },
      IpProtocol: "tcp",
      FromPort: 8080,
      ToPort: 8080,
      SourceSecurityGroupId: platformOutput(/OutputFnGetAttLoadBalancerSecurityGroup/),
    });
    // The fixture's load balancer restricts outbound traffic, so it also needs the egress rule.
    template.hasResourceProperties("AWS::EC2::SecurityGroupEgress", {
      GroupId: platformOutput(/OutputFnGetAttLoadBalancerSecurityGroup/),
      DestinationSecurityGroupId: { "Fn::GetAtt": [securityGroupId, "GroupId"] },
      FromPort: 8080,
      ToPort: 8080,
    });
  });

  test("autoscaling tracks CPU at 60 % and 500 requests per task, out fast and in slowly", () => {
    const target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget").id;
    template.resourceCountIs("AWS::ApplicationAutoScaling::ScalingPolicy", 2);
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      ScalingTargetId: { Ref: target },
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
        TargetValue: 60,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      },
    });
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      ScalingTargetId: { Ref: target },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: Match.objectLike({
          PredefinedMetricType: "ALBRequestCountPerTarget",
        }),
        TargetValue: 500,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      },
    });
  });

  test("the target group checks the health path for fast releases and drains in 15 s", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      Protocol: "HTTP",
      Port: 8080,
      TargetType: "ip",
      HealthCheckPath: "/healthz",
      HealthCheckProtocol: "HTTP",
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: "200-399" },
      TargetGroupAttributes: Match.arrayWith([
        { Key: "deregistration_delay.timeout_seconds", Value: "15" },
      ]),
    });
    const [group] = Object.values(
      template.findResources("AWS::ElasticLoadBalancingV2::TargetGroup"),
    );
    expect(JSON.stringify(group)).not.toContain("slow_start");
  });

  test("the listener rule forwards the app's host name with the given priority", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::ListenerRule", {
      ListenerArn: platformOutput(/OutputRefLoadBalancerHttps/),
      Priority: 100,
      Conditions: [
        { Field: "host-header", HostHeaderConfig: { Values: ["api.staging.example.com"] } },
      ],
      Actions: [
        {
          Type: "forward",
          TargetGroupArn: {
            Ref: only(template, "AWS::ElasticLoadBalancingV2::TargetGroup").id,
          },
        },
      ],
    });
  });

  test.each(["A", "AAAA"])(
    "a %s alias record points the host name at the load balancer",
    (type) => {
      template.hasResourceProperties("AWS::Route53::RecordSet", {
        Type: type,
        Name: "api.staging.example.com.",
        HostedZoneId: "Z0000000000STAGING",
        AliasTarget: {
          DNSName: {
            "Fn::Join": ["", ["dualstack.", platformOutput(/OutputFnGetAttLoadBalancer.*DNSName/)]],
          },
          HostedZoneId: platformOutput(/CanonicalHostedZoneID/),
        },
      });
    },
  );

  test("the deploy role may update this service and pass this app's two roles to ECS tasks only", () => {
    const serviceId = only(template, "AWS::ECS::Service").id;
    const taskRole = roleId(template, "Task role");
    const executionRole = roleId(template, "ECS task execution role");
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [platformOutput(/OutputRefDeployRole/)],
      PolicyDocument: {
        Statement: [
          {
            Sid: "ReleaseService",
            Effect: "Allow",
            Action: ["ecs:DescribeServices", "ecs:UpdateService"],
            Resource: { Ref: serviceId },
          },
          {
            Sid: "PassTaskRoles",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: [
              { "Fn::GetAtt": [executionRole, "Arn"] },
              { "Fn::GetAtt": [taskRole, "Arn"] },
            ],
            Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
          },
        ],
      },
    });
  });

  test("the stack is named after the app and the whole app synthesizes without cycles", () => {
    expect(fixture.stack.stackName).toBe("platform-staging-app-api");
    expect(() => fixture.app.synth()).not.toThrow();
  });

  test("the snapshot of the service stack", () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  test("cdk-nag AwsSolutions: no unacknowledged finding", () => {
    // GIVEN the synthesized app WHEN the rules run on the service stack THEN
    fixture.app.synth();
    expect(nagFindings(fixture.stack)).toEqual([]);
  });
});

describe("PLATFORM_SECRET_NAMES", () => {
  const variable = (stack: cdk.Stack) => {
    const [definition] = Object.values(
      Template.fromStack(stack).findResources("AWS::ECS::TaskDefinition"),
    );
    const environment: Array<{ Name: string; Value: string }> =
      definition?.Properties.ContainerDefinitions[0].Environment;
    return environment.filter((entry) => entry.Name === "PLATFORM_SECRET_NAMES");
  };

  test("is an empty string for an app without secrets", () => {
    // GIVEN an app without secrets / WHEN synthesized / THEN the variable is there, empty
    expect(variable(serviceStack({ secrets: {} }).stack)).toEqual([
      { Name: "PLATFORM_SECRET_NAMES", Value: "" },
    ]);
  });

  test("lists the names in code-point order, on EC2 too", () => {
    // GIVEN secrets declared out of order, on EC2 capacity
    const secrets = { ZED: SECRETS.DATABASE_URL, A_B: SECRETS.API_KEY, AB: SECRETS.DATABASE_URL };
    const { stack } = serviceStack(
      { capacity: "ec2", memory: 400, secrets },
      { ec2InstanceType: "t3.micro" },
    );
    // THEN
    expect(variable(stack)).toEqual([{ Name: "PLATFORM_SECRET_NAMES", Value: "AB,A_B,ZED" }]);
  });
});

describe("an app on Fargate Spot", () => {
  // GIVEN / WHEN
  const fixture = serviceStack({ capacity: "fargate-spot" });

  test("every task runs on FARGATE_SPOT, without an on-demand base", () => {
    // THEN
    Template.fromStack(fixture.stack).hasResourceProperties("AWS::ECS::Service", {
      CapacityProviderStrategy: [{ CapacityProvider: "FARGATE_SPOT", Weight: 1 }],
    });
  });

  test("cdk-nag AwsSolutions: no unacknowledged finding", () => {
    fixture.app.synth();
    expect(nagFindings(fixture.stack)).toEqual([]);
  });
});

describe("an app on EC2", () => {
  // GIVEN a platform with t3.micro capacity and an app that fits it twice
  const fixture = serviceStack(
    { capacity: "ec2", cpu: 256, memory: 400, desiredCount: 1, minCount: 1, maxCount: 2 },
    { ec2InstanceType: "t3.micro" },
  );
  // WHEN
  const template = Template.fromStack(fixture.stack);

  test("the task uses bridge networking with a dynamic host port and a hard memory limit", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      NetworkMode: "bridge",
      RequiresCompatibilities: ["EC2"],
      Cpu: Match.absent(),
      Memory: Match.absent(),
      ContainerDefinitions: [
        Match.objectLike({
          Cpu: 256,
          Memory: 400,
          MemoryReservation: Match.absent(),
          PortMappings: [{ ContainerPort: 8080, HostPort: 0, Name: "http", Protocol: "tcp" }],
        }),
      ],
    });
  });

  test("/tmp is a writable task volume on EC2 too", () => {
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      Volumes: [{ Name: "tmp" }],
      ContainerDefinitions: [
        Match.objectLike({
          MountPoints: [{ ContainerPath: "/tmp", SourceVolume: "tmp", ReadOnly: false }],
        }),
      ],
    });
  });

  test("the service sets no desired count once released, on EC2 too", () => {
    template.hasResourceProperties("AWS::ECS::Service", {
      DesiredCount: { "Fn::If": [Match.anyValue(), 0, { Ref: "AWS::NoValue" }] },
    });
  });

  test("the service uses the platform's EC2 capacity provider and no task network config", () => {
    template.hasResourceProperties("AWS::ECS::Service", {
      CapacityProviderStrategy: [
        { CapacityProvider: platformOutput(/OutputRefEc2CapacityProvider/), Weight: 1 },
      ],
      NetworkConfiguration: Match.absent(),
      PlacementStrategies: [
        { Type: "spread", Field: "attribute:ecs.availability-zone" },
        { Type: "binpack", Field: "MEMORY" },
      ],
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
    });
    template.resourceCountIs("AWS::EC2::SecurityGroup", 0);
    expect(fixture.stack.service.securityGroup).toBeUndefined();
  });

  test("the target group registers instances (bridge mode), not IPs", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      TargetType: "instance",
      Port: 8080,
    });
  });

  test("a fitting app produces no warning of the service", () => {
    Annotations.fromStack(fixture.stack).hasNoWarning("/App-api/Service", Match.anyValue());
  });

  test("cdk-nag AwsSolutions: no unacknowledged finding", () => {
    fixture.app.synth();
    expect(nagFindings(fixture.stack)).toEqual([]);
  });
});

describe("AppServiceStack's cdk-nag acknowledgements", () => {
  test("each covers a finding the construct really has, and nothing else", () => {
    // GIVEN the same construct in a plain stack, without AppServiceStack's acknowledgements
    const app = newApp();
    const { platform } = createPlatform(app);
    const stack = new cdk.Stack(app, "Bare", { env: ENV });
    new AppService(stack, "Service", {
      platform,
      app: resolvedApp({ secrets: SECRETS }),
      names: appNames("api"),
      listenerPriority: 100,
    });
    app.synth();
    // WHEN / THEN exactly the two acknowledged findings appear
    expect(nagFindings(stack)).toEqual(["AwsSolutions-ECS2", "AwsSolutions-IAM5[Resource::*]"]);
  });
});

describe("platform options", () => {
  test("an IPv4-only load balancer gets an A record and no AAAA", () => {
    // GIVEN a platform whose load balancer has no IPv6 addresses
    const { stack } = serviceStack({}, { dualstack: false });
    // WHEN
    const template = Template.fromStack(stack);
    // THEN
    template.resourceCountIs("AWS::Route53::RecordSet", 1);
    template.hasResourceProperties("AWS::Route53::RecordSet", { Type: "A" });
    expect(stack.service.records.aaaa).toBeUndefined();
  });

  test("without a public IP, tasks get none; without a deploy role, no deploy policy", () => {
    // GIVEN private subnets behind NAT and no GitHub repository
    const { stack } = serviceStack({}, { assignPublicIp: false, deployRole: false });
    // WHEN
    const template = Template.fromStack(stack);
    // THEN
    template.hasResourceProperties("AWS::ECS::Service", {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: "DISABLED" }),
      },
    });
    template.resourceCountIs("AWS::IAM::Policy", 1);
    expect(stack.service.deployPolicy).toBeUndefined();
  });
});

describe("warnings for what synth cannot check", () => {
  test("an instance type the table does not know is named, with the closest known one", () => {
    // GIVEN a misspelt instance type WHEN synthesized
    const { stack } = serviceStack({ capacity: "ec2" }, { ec2InstanceType: "t3.mirco" });
    // THEN
    Annotations.fromStack(stack).hasWarning(
      "/App-api/Service",
      Match.stringLikeRegexp(
        'ec2.instanceType = "t3.mirco" is not in the infra\'s instance table.*Did you mean "t3.micro"',
      ),
    );
  });

  test("an arm64 app on Graviton instances synthesizes without a warning", () => {
    const { stack } = serviceStack(
      { capacity: "ec2", architecture: "arm64", memory: 400, desiredCount: 1, maxCount: 2 },
      { ec2InstanceType: "t4g.micro" },
    );
    Annotations.fromStack(stack).hasNoWarning("/App-api/Service", Match.anyValue());
  });
});

describe("an arm64 app on Fargate", () => {
  test("its task definition asks Fargate for ARM64 (Graviton)", () => {
    // GIVEN / WHEN
    const { stack } = serviceStack({ architecture: "arm64" });
    // THEN
    Template.fromStack(stack).hasResourceProperties("AWS::ECS::TaskDefinition", {
      RequiresCompatibilities: ["FARGATE"],
      RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
    });
  });
});

describe("bad props fail at synth with the app, the value and the fix", () => {
  test.each([
    [
      "capacity ec2 without EC2 capacity",
      () => serviceStack({ capacity: "ec2" }),
      /apps\/api\/deploy\.json: capacity = "ec2": needs EC2 capacity, and the platform of environment staging has none\. Fix: give the environment EC2 capacity/,
    ],
    [
      "a size Fargate does not offer",
      () => serviceStack({ cpu: 256, memory: 3072 }),
      /apps\/api\/deploy\.json: memory = 3072: with cpu 256 is not a Fargate size/,
    ],
    [
      "a task bigger than the instance registers",
      () => serviceStack({ capacity: "ec2", memory: 1024 }, { ec2InstanceType: "t3.micro" }),
      /memory = 1024: is more than a t3.micro offers in environment staging: it registers about 944 MiB/,
    ],
    [
      "a rolling update that cannot place its new tasks",
      () =>
        serviceStack(
          { capacity: "ec2", memory: 512, desiredCount: 2, maxCount: 4 },
          { ec2InstanceType: "t3.micro", maxInstances: 2 },
        ),
      /desiredCount = 2: needs room for 4 tasks in environment staging/,
    ],
    [
      "an x86_64 app on Graviton instances",
      () =>
        serviceStack(
          { capacity: "ec2", memory: 400, desiredCount: 1, maxCount: 2 },
          { ec2InstanceType: "t4g.micro" },
        ),
      /apps\/api\/deploy\.json: architecture = "x86_64": does not run on the EC2 capacity of environment staging: its instance type t4g\.micro is arm64 \(AWS Graviton\).*Fix: set "architecture": "arm64"/,
    ],
    [
      "listener priority 0",
      () => serviceStack({}, { listenerPriority: 0 }),
      /^App-api\/Service: listenerPriority = 0: is not an ALB rule priority for app "api": a whole number from 1 to 50000\. Fix: pass the priority listenerPriorities\(\) returns for the app$/,
    ],
    [
      "listener priority 50001",
      () => serviceStack({}, { listenerPriority: 50_001 }),
      /listenerPriority = 50001: is not an ALB rule priority/,
    ],
    [
      "listener priority 1.5",
      () => serviceStack({}, { listenerPriority: 1.5 }),
      /listenerPriority = 1\.5: is not an ALB rule priority/,
    ],
  ])("%s", (_name, build, message) => {
    // GIVEN / WHEN / THEN
    expect(build).toThrow(message);
  });

  test("an image parameter under another name than deploy-kit writes", () => {
    // GIVEN a platform whose api parameter is named differently
    const app = newApp();
    const { stack, platform } = createPlatform(app);
    const resources = platform.apps.api;
    if (!resources) throw new Error("fixture has no api");
    const imageParameter = new ssm.StringParameter(stack, "OtherImage", {
      parameterName: "/elsewhere/api/image",
      stringValue: UNRELEASED_IMAGE,
    });
    const apps = { api: { ...resources, imageParameter } };
    // WHEN / THEN
    expect(
      () =>
        new AppServiceStack(app, "App-api", {
          env: ENV,
          platform: { ...platform, apps },
          app: resolvedApp(),
          names: appNames("api"),
          listenerPriority: 100,
        }),
    ).toThrow(
      'App-api/Service: platform.apps.api.imageParameter = "/elsewhere/api/image": is not the parameter deploy-kit writes, /platform/staging/api/image',
    );
  });

  test("an app the platform stack has no resources for", () => {
    // GIVEN a platform made for "web" only
    const app = newApp();
    const { platform } = createPlatform(app, { apps: ["web"] });
    // WHEN / THEN
    expect(
      () =>
        new AppServiceStack(app, "App-api", {
          env: ENV,
          platform,
          app: resolvedApp(),
          names: appNames("api"),
          listenerPriority: 100,
        }),
    ).toThrow(
      'App-api/Service: platform.apps = ["web"]: has no repository, log group and image parameter for app "api" in environment staging. Fix: build the platform stack with every app of apps/, including "api", and deploy it before the app\'s stack',
    );
  });
});

import { Annotations, Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, test } from "vitest";
import { platformFixture } from "./support/platform.js";

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the deploy role's platform policy, by Sid. */
function statements(
  template: ReturnType<typeof platformFixture>["template"],
): Map<string, Statement> {
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^GitHubDeployRole") }] },
  });
  const [policy] = Object.values(policies);
  const document = policy?.Properties.PolicyDocument as { Statement: Statement[] };
  return new Map(document.Statement.map((statement) => [statement.Sid, statement]));
}

describe("GitHubDeployRole in the platform stack", () => {
  let fixture: ReturnType<typeof platformFixture>;
  let bySid: Map<string, Statement>;
  beforeAll(() => {
    // GIVEN the default staging platform of repository example/platform
    fixture = platformFixture();
    bySid = statements(fixture.template);
  });

  test("creates the native OIDC provider (no custom-resource Lambda) and keeps it on deletion", () => {
    const { template } = fixture;
    template.resourceCountIs("AWS::IAM::OIDCProvider", 1);
    template.hasResource("AWS::IAM::OIDCProvider", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({
        Url: "https://token.actions.githubusercontent.com",
        ClientIdList: ["sts.amazonaws.com"],
      }),
    });
    template.resourceCountIs("Custom::AWSCDKOpenIdConnectProvider", 0);
  });

  test("the role is trusted only by jobs of example/platform in the staging environment", () => {
    fixture.template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "platform-staging-deploy",
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "sts:AssumeRoleWithWebIdentity",
            Principal: { Federated: { Ref: Match.stringLikeRegexp("^GitHubDeployOidcProvider") } },
            Condition: {
              // exact values only: no StringLike, no wildcards
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub":
                  "repo:example/platform:environment:staging",
              },
            },
          },
        ],
      },
    });
    expect(fixture.stack.resolve(fixture.stack.resources.deployRole?.roleName)).toEqual({
      Ref: expect.stringMatching(/^GitHubDeployRole/),
    });
  });

  test("an existing provider is trusted by ARN and none is created", () => {
    // GIVEN an environment that names the account's provider
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

    // WHEN the platform is built
    const { template } = platformFixture({ environment: { githubOidcProviderArn: arn } });

    // THEN
    template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Federated: arn } })],
      },
    });
  });

  test("without github in the config: no provider, no role, and a warning that says how", () => {
    // GIVEN / WHEN a config without "github"
    const { stack, template } = platformFixture({ github: null });

    // THEN
    template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    expect(
      Object.values(template.findResources("AWS::IAM::Role")).filter(
        (role) => (role.Properties as { RoleName?: string }).RoleName === "platform-staging-deploy",
      ),
    ).toHaveLength(0);
    expect(stack.resources.deployRole).toBeUndefined();
    Annotations.fromStack(stack).hasWarning(
      "/platform-staging-platform",
      Match.stringLikeRegexp(
        'platform.config.json names no GitHub repository.*add "github": \\{ "owner": "<owner>", "repo": "<repo>" \\} to platform.config.json',
      ),
    );
  });

  test("ECR: login on *, push and pull on the apps' repositories only", () => {
    expect(bySid.get("EcrLogin")).toMatchObject({
      Action: "ecr:GetAuthorizationToken",
      Resource: "*",
    });
    expect(bySid.get("EcrPushPull")).toMatchObject({
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
      ],
      Resource: [
        { "Fn::GetAtt": [expect.stringMatching(/^AppApiRepository/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/^AppWebRepository/), "Arn"] },
      ],
    });
  });

  test("SSM: get and put the apps' image parameters only", () => {
    expect(bySid.get("ImageParameters")).toMatchObject({
      Action: ["ssm:GetParameter", "ssm:PutParameter"],
      Resource: [
        {
          "Fn::Join": [
            "",
            [
              `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter`,
              { Ref: expect.stringMatching(/^AppApiImageParameter/) },
            ],
          ],
        },
        {
          "Fn::Join": [
            "",
            [
              `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter`,
              { Ref: expect.stringMatching(/^AppWebImageParameter/) },
            ],
          ],
        },
      ],
    });
  });

  test("RegisterTaskDefinition on * requires the platform's project and environment request tags", () => {
    expect(bySid.get("RegisterTaskDefinition")).toEqual({
      Sid: "RegisterTaskDefinition",
      Effect: "Allow",
      Action: "ecs:RegisterTaskDefinition",
      Resource: "*",
      Condition: {
        StringEquals: {
          "aws:RequestTag/project": "platform",
          "aws:RequestTag/environment": "staging",
        },
      },
    });
    // AND tagging is allowed only while registering, only for the apps' families
    expect(bySid.get("TagTaskDefinitionOnRegister")).toMatchObject({
      Action: "ecs:TagResource",
      Resource: [
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/platform-staging-api:*`,
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/platform-staging-web:*`,
      ],
      Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
    });
  });

  test("ECS diagnostics are limited to this cluster", () => {
    expect(bySid.get("ReadTaskDefinitions")).toMatchObject({
      Action: ["ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"],
      Resource: "*",
    });
    expect(bySid.get("EcsCluster")).toMatchObject({
      Action: ["ecs:DescribeClusters", "ecs:ListContainerInstances"],
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^Cluster/), "Arn"] },
    });
    expect(bySid.get("EcsDiagnostics")).toMatchObject({
      Action: ["ecs:DescribeContainerInstances", "ecs:DescribeServices", "ecs:DescribeTasks"],
      Resource: [
        `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/platform-staging/*`,
        `arn:aws:ecs:${REGION}:${ACCOUNT}:service/platform-staging/*`,
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task/platform-staging/*`,
      ],
    });
    expect(bySid.get("EcsListTasks")).toMatchObject({
      Action: "ecs:ListTasks",
      Resource: "*",
      Condition: {
        ArnEquals: { "ecs:cluster": { "Fn::GetAtt": [expect.stringMatching(/^Cluster/), "Arn"] } },
      },
    });
  });

  test("with EC2 capacity: its capacity provider can be described, by ARN", () => {
    // GIVEN / WHEN a platform with EC2 capacity
    const { template } = platformFixture({
      environment: { ec2: { instanceType: "t3.micro", minInstances: 1, maxInstances: 2 } },
    });

    // THEN
    expect(statements(template).get("EcsCapacityProviders")).toMatchObject({
      Action: "ecs:DescribeCapacityProviders",
      Resource: {
        "Fn::Join": [
          "",
          [
            `arn:aws:ecs:${REGION}:${ACCOUNT}:capacity-provider/`,
            { Ref: expect.stringMatching(/Ec2CapacityProvider/) },
          ],
        ],
      },
    });
  });

  test("load balancer and Auto Scaling diagnostics are read-only", () => {
    expect(bySid.get("LoadBalancerDiagnostics")).toMatchObject({
      Action: [
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      Resource: "*",
    });
    expect(bySid.get("AutoScalingDiagnostics")).toMatchObject({
      Action: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities"],
      Resource: "*",
    });
  });

  test("a release's outcome is tagged on its revision: that one tag key, the apps' families only", () => {
    expect(bySid.get("MarkReleaseOutcome")).toEqual({
      Sid: "MarkReleaseOutcome",
      Effect: "Allow",
      Action: "ecs:TagResource",
      Resource: [
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/platform-staging-api:*`,
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/platform-staging-web:*`,
      ],
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["deploy-kit:outcome"] } },
    });
  });

  test("stack status and logs of this environment only", () => {
    expect(bySid.get("StackStatus")).toMatchObject({
      Action: "cloudformation:DescribeStacks",
      Resource: [
        `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/platform-staging-app-api/*`,
        `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/platform-staging-app-web/*`,
        `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/platform-staging-platform/*`,
      ],
    });
    expect(bySid.get("AppLogs")).toMatchObject({
      Action: ["logs:FilterLogEvents", "logs:GetLogEvents"],
      Resource: [
        { "Fn::GetAtt": [expect.stringMatching(/^AppApiLogGroup/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/^AppWebLogGroup/), "Arn"] },
      ],
    });
  });

  test("`*` is the resource only of actions that support no resource-level permission", () => {
    // THEN every statement is one of the above, and only these use Resource "*"
    expect([...bySid.keys()]).toEqual([
      "EcrLogin",
      "EcrPushPull",
      "ImageParameters",
      "RegisterTaskDefinition",
      "TagTaskDefinitionOnRegister",
      "MarkReleaseOutcome",
      "ReadTaskDefinitions",
      "EcsCluster",
      "EcsDiagnostics",
      "EcsListTasks",
      "LoadBalancerDiagnostics",
      "AutoScalingDiagnostics",
      "StackStatus",
      "AppLogs",
    ]);
    const star = [...bySid.values()].filter(
      (statement) => JSON.stringify(statement.Resource) === '"*"',
    );
    expect(star.map((statement) => statement.Sid)).toEqual([
      "EcrLogin",
      "RegisterTaskDefinition",
      "ReadTaskDefinitions",
      "EcsListTasks",
      "LoadBalancerDiagnostics",
      "AutoScalingDiagnostics",
    ]);
    // AND no action is a wildcard
    for (const statement of bySid.values()) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
    }
  });
});

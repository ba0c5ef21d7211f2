import * as cdk from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { beforeAll, describe, expect, test } from "vitest";
import { acknowledgeWildcards } from "../src/constructs/github-deploy-role.js";
import { platformFixture } from "./support/platform.js";

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The deploy role's platform policies: logical id -> statements. */
function policies(
  template: ReturnType<typeof platformFixture>["template"],
): Map<string, Statement[]> {
  const found = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^GitHubDeployRole") }] },
  });
  return new Map(
    Object.entries(found).map(([id, policy]) => [
      id,
      (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    ]),
  );
}

/** The statements of the deploy role's platform policies, by Sid. */
function statements(
  template: ReturnType<typeof platformFixture>["template"],
): Map<string, Statement> {
  return new Map(
    [...policies(template).values()].flat().map((statement) => [statement.Sid, statement]),
  );
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

  test("the role is trusted only by deploy.yml of example/platform in the staging environment, from main or a release tag", () => {
    // GIVEN the repository's ids in the config
    const { template } = platformFixture({
      github: { owner: "example", repo: "platform", ownerId: "1001", repositoryId: "2002" },
    });
    // THEN (github-trust.test.ts evaluates these against each workflow's claims)
    template.hasResourceProperties("AWS::IAM::Role", {
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
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": [
                  "repo:example/platform:environment:staging",
                  "repo:example@1001/platform@2002:environment:staging",
                ],
                "token.actions.githubusercontent.com:repository_id": "2002",
              },
              StringLike: {
                "token.actions.githubusercontent.com:job_workflow_ref": [
                  "example/platform/.github/workflows/deploy.yml@refs/heads/main",
                  "example/platform/.github/workflows/deploy.yml@refs/tags/@repo/*",
                ],
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
      Action: "logs:GetLogEvents",
      Resource: [
        { "Fn::GetAtt": [expect.stringMatching(/^AppApiLogGroup/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/^AppWebLogGroup/), "Arn"] },
      ],
    });
  });

  test("the exact actions of each policy: wildcard statements each in a policy of their own", () => {
    // THEN (no logs:FilterLogEvents: nothing searches logs; ssm:GetParameter stays for
    // deploy-kit reconcile)
    const actions = [...policies(fixture.template)].map(([id, list]) => [
      id.replace(/[0-9A-F]{8}$/, ""),
      list.map((statement) => [statement.Sid, [statement.Action].flat()]),
    ]);
    expect(actions).toEqual([
      [
        "GitHubDeployPolicy",
        [
          [
            "EcrPushPull",
            [
              "ecr:BatchCheckLayerAvailability",
              "ecr:BatchGetImage",
              "ecr:CompleteLayerUpload",
              "ecr:DescribeImages",
              "ecr:GetDownloadUrlForLayer",
              "ecr:InitiateLayerUpload",
              "ecr:PutImage",
              "ecr:UploadLayerPart",
            ],
          ],
          ["ImageParameters", ["ssm:GetParameter", "ssm:PutParameter"]],
          ["EcsCluster", ["ecs:DescribeClusters", "ecs:ListContainerInstances"]],
          // A log group's ARN (Fn::GetAtt) ends in :*, but no finding shows it: no own policy
          ["AppLogs", ["logs:GetLogEvents"]],
        ],
      ],
      ["GitHubDeployEcrLoginPolicy", [["EcrLogin", ["ecr:GetAuthorizationToken"]]]],
      [
        "GitHubDeployRegisterTaskDefinitionPolicy",
        [["RegisterTaskDefinition", ["ecs:RegisterTaskDefinition"]]],
      ],
      [
        "GitHubDeployTagTaskDefinitionOnRegisterPolicy",
        [["TagTaskDefinitionOnRegister", ["ecs:TagResource"]]],
      ],
      ["GitHubDeployMarkReleaseOutcomePolicy", [["MarkReleaseOutcome", ["ecs:TagResource"]]]],
      [
        "GitHubDeployReadTaskDefinitionsPolicy",
        [["ReadTaskDefinitions", ["ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"]]],
      ],
      [
        "GitHubDeployEcsDiagnosticsPolicy",
        [
          [
            "EcsDiagnostics",
            ["ecs:DescribeContainerInstances", "ecs:DescribeServices", "ecs:DescribeTasks"],
          ],
        ],
      ],
      ["GitHubDeployEcsListTasksPolicy", [["EcsListTasks", ["ecs:ListTasks"]]]],
      [
        "GitHubDeployLoadBalancerDiagnosticsPolicy",
        [
          [
            "LoadBalancerDiagnostics",
            [
              "elasticloadbalancing:DescribeTargetGroups",
              "elasticloadbalancing:DescribeTargetHealth",
            ],
          ],
        ],
      ],
      [
        "GitHubDeployAutoScalingDiagnosticsPolicy",
        [
          [
            "AutoScalingDiagnostics",
            ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities"],
          ],
        ],
      ],
      ["GitHubDeployStackStatusPolicy", [["StackStatus", ["cloudformation:DescribeStacks"]]]],
    ]);
  });

  test("each wildcard is acknowledged for cdk-nag on its statement's own policy, with that statement's reason", () => {
    // WHEN the acknowledgements of the deploy role's policies are collected
    const deployRole = fixture.stack.deployRole;
    const acknowledged = (deployRole?.policies ?? []).map((policy): [string, string[], number] => {
      const data = policy.node.metadata
        .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
      const reasons = new Set(data.map(([, reason]) => reason));
      return [policy.node.id, data.map(([id]) => id.replace(/\[.*/, "")), reasons.size];
    });
    // THEN the policy without wildcards acknowledges nothing, and every other one its own
    // findings with one reason
    expect(acknowledged[0]).toEqual(["Policy", [], 0]);
    for (const [, ids, reasons] of acknowledged.slice(1)) {
      expect(ids.length).toBeGreaterThan(0);
      expect(reasons).toBe(1);
    }
    // AND no reason stands for two policies
    const reasons = (deployRole?.policies ?? []).flatMap((policy) => [
      ...new Set(
        policy.node.metadata
          .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.values(entry.data as Record<string, string>)),
      ),
    ]);
    expect(new Set(reasons).size).toBe(reasons.length);
  });

  test("`*` is the resource only of actions that support no resource-level permission", () => {
    // THEN every statement is one of the above, and only these use Resource "*"
    expect([...bySid.keys()].sort()).toEqual(
      [
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
      ].sort(),
    );
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

describe("acknowledgeWildcards", () => {
  test("refuses two statements whose wildcards would share one cdk-nag finding", () => {
    // GIVEN one policy with two statements on Resource "*", each with its own reason
    const stack = new cdk.Stack(new cdk.App(), "Stack");
    const statements = ["First", "Second"].map((sid) => ({
      statement: new iam.PolicyStatement({ sid, actions: [`ecs:${sid}`], resources: ["*"] }),
      wildcardReason: `the reason of ${sid}`,
    }));
    const policy = new iam.Policy(stack, "Policy", {
      statements: statements.map(({ statement }) => statement),
    });
    // WHEN / THEN one acknowledgement would carry one reason for both
    expect(() => acknowledgeWildcards(policy, statements)).toThrow(
      /statements First and Second of Stack\/Policy share the cdk-nag finding AwsSolutions-IAM5\[Resource::\*\].*own policy/,
    );
  });

  test("accepts several wildcards of one statement", () => {
    const stack = new cdk.Stack(new cdk.App(), "Stack");
    const entry = {
      statement: new iam.PolicyStatement({
        sid: "Only",
        actions: ["ecs:DescribeTasks"],
        resources: ["arn:aws:ecs:eu-west-1:1:task/a/*", "arn:aws:ecs:eu-west-1:1:task/b/*"],
      }),
      wildcardReason: "tasks of clusters a and b",
    };
    const policy = new iam.Policy(stack, "Policy", { statements: [entry.statement] });
    expect(() => acknowledgeWildcards(policy, [entry])).not.toThrow();
  });
});

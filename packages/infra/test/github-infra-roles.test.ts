import * as cdk from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { beforeAll, describe, expect, it } from "vitest";
import { GitHubInfraRoles } from "../src/constructs/github-infra-roles.js";

function synth() {
  // GIVEN a stack in a known account and region
  const app = new cdk.App();
  const stack = new cdk.Stack(app, "Infra", {
    env: { account: "222222222222", region: "eu-west-1" },
  });
  // WHEN the infra roles are added
  new GitHubInfraRoles(stack, "GitHubInfra", {
    github: { owner: "acme", repo: "platform" },
    environment: "prod",
    oidcProviderArn: "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
    infraRoleName: "acme-prod-infra",
    diffRoleName: "acme-prod-infra-diff",
    stackNames: ["acme-prod-platform", "acme-prod-app-api"],
    releaseRecords: {
      clusterName: "acme-prod",
      taskFamilies: ["acme-prod-api"],
      repositories: [ecr.Repository.fromRepositoryName(stack, "Repo", "acme/prod/api")],
      imageParameters: [
        ssm.StringParameter.fromStringParameterName(stack, "Image", "/acme/prod/api/image"),
      ],
    },
  });
  return Template.fromStack(stack);
}

const trust = (sub: string) => ({
  Statement: [
    {
      Action: "sts:AssumeRoleWithWebIdentity",
      Effect: "Allow",
      Principal: {
        Federated: "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
      },
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": sub,
        },
      },
    },
  ],
  Version: "2012-10-17",
});

describe("GitHubInfraRoles", () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it("trusts cdk deploy only in the environment's GitHub environment, and only to the bootstrap roles", () => {
    // THEN
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "acme-prod-infra",
      AssumeRolePolicyDocument: trust("repo:acme/platform:environment:prod"),
      MaxSessionDuration: 3600,
    });
    const policies = template.findResources("AWS::IAM::Policy", {
      Properties: {
        Roles: [{ Ref: Match.stringLikeRegexp("InfraRole") }],
        PolicyName: Match.stringLikeRegexp("InfraRoleDefaultPolicy"),
      },
    });
    const [policy] = Object.values(policies);
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: "AssumeCdkBootstrapRoles",
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Effect: "Allow",
        Resource: [
          "deploy-role",
          "file-publishing-role",
          "image-publishing-role",
          "lookup-role",
        ].map((kind) => ({
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              `:iam::222222222222:role/cdk-hnb659fds-${kind}-222222222222-eu-west-1`,
            ],
          ],
        })),
      },
    ]);
  });

  it("lets the infra role record what runs before cdk deploy, and nothing that changes a service", () => {
    const policies = template.findResources("AWS::IAM::Policy", {
      Properties: { PolicyName: Match.stringLikeRegexp("ReleaseRecordsPolicy") },
    });
    const [policy] = Object.values(policies);
    expect(policy?.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/InfraRole/) }]);
    const statements = policy?.Properties.PolicyDocument.Statement as Array<{
      Sid: string;
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }>;
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ["ReadServices", "ecs:DescribeServices"],
      ["ReadTaskDefinitions", "ecs:DescribeTaskDefinition"],
      ["MarkReleaseOutcome", "ecs:TagResource"],
      ["RecordReleasedImage", ["ssm:GetParameter", "ssm:PutParameter"]],
      ["TagReleasedImage", ["ecr:BatchGetImage", "ecr:PutImage"]],
    ]);
    expect(statements[0]?.Resource).toEqual({
      "Fn::Join": [
        "",
        ["arn:", { Ref: "AWS::Partition" }, ":ecs:eu-west-1:222222222222:service/acme-prod/*"],
      ],
    });
    expect(statements[2]?.Condition).toEqual({
      "ForAllValues:StringEquals": { "aws:TagKeys": ["deploy-kit:outcome"] },
    });
    expect(JSON.stringify(statements)).not.toMatch(/UpdateService|RegisterTaskDefinition|PassRole/);
  });

  it("lets pull requests diff with the read-only lookup role and nothing more", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "acme-prod-infra-diff",
      AssumeRolePolicyDocument: trust("repo:acme/platform:pull_request"),
    });
    const policies = template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp("DiffRole") }] },
    });
    const statements = Object.values(policies)[0]?.Properties.PolicyDocument.Statement;
    expect(statements.map((s: { Sid: string; Action: string[] }) => [s.Sid, s.Action])).toEqual([
      ["AssumeCdkLookupRole", ["sts:AssumeRole", "sts:TagSession"]],
      ["ReadStackTemplates", ["cloudformation:GetTemplate", "cloudformation:DescribeStacks"]],
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/deploy-role|"\*"/);
  });
});

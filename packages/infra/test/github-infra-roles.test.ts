import * as cdk from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { beforeAll, describe, expect, it } from "vitest";
import { GitHubInfraRoles } from "../src/constructs/github-infra-roles.js";
import { jobClaims, trustAllows } from "./support/trust.js";

const PROVIDER = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com";

function synth() {
  // GIVEN a stack in a known account and region
  const app = new cdk.App();
  const stack = new cdk.Stack(app, "Infra", {
    env: { account: "222222222222", region: "eu-west-1" },
  });
  // WHEN the infra roles are added
  new GitHubInfraRoles(stack, "GitHubInfra", {
    github: { owner: "acme", repo: "platform", ownerId: "11", repositoryId: "22" },
    environment: "prod",
    githubEnvironment: "prod-infra",
    claimKeys: true,
    oidcProviderArn: PROVIDER,
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

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The policies attached to the role whose logical id starts with `role`: id -> statements. */
function policiesOf(template: Template, role: string): Record<string, Statement[]> {
  const found = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${role}`) }] },
  });
  return Object.fromEntries(
    Object.entries(found).map(([id, policy]) => [
      id.replace(/[0-9A-F]{8}$/, ""),
      policy.Properties.PolicyDocument.Statement as Statement[],
    ]),
  );
}

/** Policy id -> [Sid, Effect, actions] of each statement. */
function actionsOf(template: Template, role: string) {
  return Object.fromEntries(
    Object.entries(policiesOf(template, role)).map(([id, statements]) => [
      id,
      statements.map((s) => [s.Sid, s.Effect, [s.Action].flat()]),
    ]),
  );
}

function trustOf(template: Template, roleName: string) {
  const [role] = Object.values(
    template.findResources("AWS::IAM::Role", { Properties: { RoleName: roleName } }),
  );
  return role?.Properties.AssumeRolePolicyDocument;
}

const stackArn = (name: string) => ({
  "Fn::Join": [
    "",
    ["arn:", { Ref: "AWS::Partition" }, `:cloudformation:eu-west-1:222222222222:stack/${name}/*`],
  ],
});
const bootstrapRole = (kind: string) => ({
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      `:iam::222222222222:role/cdk-hnb659fds-${kind}-222222222222-eu-west-1`,
    ],
  ],
});

describe("GitHubInfraRoles", () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it("trusts cdk deploy only from infra-deploy.yml on main, in the -infra GitHub environment", () => {
    // THEN
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "acme-prod-infra",
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: "sts:AssumeRoleWithWebIdentity",
            Effect: "Allow",
            Principal: { Federated: PROVIDER },
            Condition: {
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": [
                  "repo:acme/platform:environment:prod-infra",
                  "repo:acme@11/platform@22:environment:prod-infra",
                ],
                "token.actions.githubusercontent.com:repository_id": "22",
                "token.actions.githubusercontent.com:job_workflow_ref":
                  "acme/platform/.github/workflows/infra-deploy.yml@refs/heads/main",
              },
            },
          },
        ],
        Version: "2012-10-17",
      },
    });
  });

  it("the infra role: exactly these actions, in these policies", () => {
    expect(actionsOf(template, "GitHubInfraInfraRole")).toEqual({
      GitHubInfraInfraPolicy: [
        ["AssumeCdkBootstrapRoles", "Allow", ["sts:AssumeRole", "sts:TagSession"]],
        ["RecordReleasedImage", "Allow", ["ssm:GetParameter", "ssm:PutParameter"]],
        ["TagReleasedImage", "Allow", ["ecr:BatchGetImage", "ecr:PutImage"]],
      ],
      GitHubInfraInfraReadStackTemplatesPolicy: [
        [
          "ReadStackTemplates",
          "Allow",
          ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
        ],
      ],
      GitHubInfraInfraReadServicesPolicy: [["ReadServices", "Allow", ["ecs:DescribeServices"]]],
      GitHubInfraInfraReadTaskDefinitionsPolicy: [
        ["ReadTaskDefinitions", "Allow", ["ecs:DescribeTaskDefinition"]],
      ],
      GitHubInfraInfraMarkReleaseOutcomePolicy: [
        ["MarkReleaseOutcome", "Allow", ["ecs:TagResource"]],
      ],
    });
  });

  it("the infra role assumes only the bootstrap deploy and file-publishing roles, never the lookup role", () => {
    const [assume] = policiesOf(template, "GitHubInfraInfraRole").GitHubInfraInfraPolicy ?? [];
    expect(assume?.Resource).toEqual([
      bootstrapRole("deploy-role"),
      bootstrapRole("file-publishing-role"),
    ]);
    // AND it reads this environment's stack templates itself (no lookup role in the manifest)
    const [read] =
      policiesOf(template, "GitHubInfraInfraRole").GitHubInfraInfraReadStackTemplatesPolicy ?? [];
    expect(read?.Resource).toEqual([stackArn("acme-prod-platform"), stackArn("acme-prod-app-api")]);
  });

  it("lets the infra role record what runs before cdk deploy, and nothing that changes a service", () => {
    const statements = Object.values(policiesOf(template, "GitHubInfraInfraRole")).flat();
    const bySid = new Map(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.get("ReadServices")?.Resource).toEqual({
      "Fn::Join": [
        "",
        ["arn:", { Ref: "AWS::Partition" }, ":ecs:eu-west-1:222222222222:service/acme-prod/*"],
      ],
    });
    expect(bySid.get("MarkReleaseOutcome")?.Condition).toEqual({
      "ForAllValues:StringEquals": { "aws:TagKeys": ["deploy-kit:outcome"] },
    });
    expect(JSON.stringify(statements)).not.toMatch(/UpdateService|RegisterTaskDefinition|PassRole/);
  });

  it("trusts cdk diff only from infra-diff.yml on a pull request of this repository", () => {
    expect(trustOf(template, "acme-prod-infra-diff")).toEqual({
      Statement: [
        {
          Action: "sts:AssumeRoleWithWebIdentity",
          Effect: "Allow",
          Principal: { Federated: PROVIDER },
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": [
                "repo:acme/platform:pull_request",
                "repo:acme@11/platform@22:pull_request",
              ],
              "token.actions.githubusercontent.com:repository_id": "22",
            },
            StringLike: {
              "token.actions.githubusercontent.com:job_workflow_ref":
                "acme/platform/.github/workflows/infra-diff.yml@refs/pull/*/merge",
            },
          },
        },
      ],
      Version: "2012-10-17",
    });
  });

  it("the diff role reads the stacks' templates and nothing else, and may assume no role", () => {
    // THEN exactly these actions
    expect(actionsOf(template, "GitHubInfraDiffRole")).toEqual({
      GitHubInfraDiffPolicy: [["NeverAssumeRoles", "Deny", ["sts:AssumeRole"]]],
      GitHubInfraDiffReadStackTemplatesPolicy: [
        [
          "ReadStackTemplates",
          "Allow",
          ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
        ],
      ],
    });
    const statements = Object.values(policiesOf(template, "GitHubInfraDiffRole")).flat();
    // AND no Allow of sts:AssumeRole, on the lookup role or any other
    const allows = statements.filter((statement) => statement.Effect === "Allow");
    expect(JSON.stringify(allows)).not.toMatch(/sts:|lookup-role|"\*"/);
    expect(allows.flatMap((statement) => statement.Resource)).toEqual([
      stackArn("acme-prod-platform"),
      stackArn("acme-prod-app-api"),
    ]);
  });

  it("a release job, a cdk deploy job and a pull-request job each reach exactly one of the roles", () => {
    const base = { owner: "acme", repo: "platform", ownerId: "11", repositoryId: "22" };
    const infra = jobClaims({
      ...base,
      environment: "prod-infra",
      event: "push",
      ref: "refs/heads/main",
      workflowFile: "infra-deploy.yml",
    });
    const release = jobClaims({
      ...base,
      environment: "prod",
      event: "push",
      ref: "refs/heads/main",
      workflowFile: "deploy.yml",
    });
    const pullRequest = jobClaims({
      ...base,
      event: "pull_request",
      ref: "refs/pull/3/merge",
      workflowFile: "infra-diff.yml",
    });
    const infraTrust = trustOf(template, "acme-prod-infra");
    const diffTrust = trustOf(template, "acme-prod-infra-diff");
    expect([infra, release, pullRequest].map((c) => trustAllows(infraTrust, c))).toEqual([
      true,
      false,
      false,
    ]);
    expect([infra, release, pullRequest].map((c) => trustAllows(diffTrust, c))).toEqual([
      false,
      false,
      true,
    ]);
  });
});

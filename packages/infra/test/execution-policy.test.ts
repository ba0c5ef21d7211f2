import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import * as cdk from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { bootstrapPlan, main } from "../src/bootstrap/cli.js";
import {
  boundaryPolicy,
  executionPolicies,
  MANAGED_POLICY_MAX_CHARS,
  type PolicyContext,
  type PolicyStatement,
  policySize,
  RESOURCE_PERMISSIONS,
  TYPES_WITHOUT_PERMISSIONS,
} from "../src/bootstrap/execution-policy.js";
import { buildInfraApp } from "../src/infra-app.js";
import { cdkJsonContext } from "../src/platform-app.js";

const CTX: PolicyContext = {
  project: "platform",
  account: "111111111111",
  partition: "aws",
  regions: ["eu-west-1"],
  hostedZoneIds: ["Z0000000000STAGING"],
};

/**
 * The template's repository with the variant that synthesizes the most resource types: private
 * subnets (NAT gateways), the WAF web ACL, and api on EC2 capacity next to web on Fargate.
 */
function richestRepo(): string {
  const root = writeTemplateRepo();
  const configFile = path.join(root, "platform.config.json");
  const config = JSON.parse(readFileSync(configFile, "utf8"));
  Object.assign(config.environments.staging, { network: "private", waf: { enabled: true } });
  writeFileSync(configFile, JSON.stringify(config));
  const apiFile = path.join(root, "apps/api/deploy.json");
  const api = JSON.parse(readFileSync(apiFile, "utf8"));
  Object.assign(api, { capacity: "ec2", memory: 400, desiredCount: 1, maxCount: 2 });
  writeFileSync(apiFile, JSON.stringify(api));
  return root;
}

describe("the CloudFormation execution policy covers what the stacks deploy", () => {
  let root: string;
  let templates: Array<{
    stack: string;
    resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  }>;
  beforeAll(() => {
    // GIVEN every environment of the richest variant, with CDK's permissions-boundary context
    root = richestRepo();
    const app = new cdk.App({
      context: {
        ...cdkJsonContext(),
        "@aws-cdk/core:permissionsBoundary": { name: "platform-boundary" },
      },
    });
    // WHEN the whole app is synthesized
    const built = buildInfraApp({ cwd: root, app, nag: false });
    const assembly = app.synth();
    templates = [...built.platformStacks, ...built.serviceStacks].map((stack) => ({
      stack: stack.stackName,
      resources: assembly.getStackByName(stack.stackName).template.Resources,
    }));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("every resource type of every template has an entry in RESOURCE_PERMISSIONS", () => {
    // THEN no type is missing: a new construct fails here until the policy covers its type
    const types = new Set(
      templates.flatMap(({ resources }) =>
        Object.values(resources).map((resource) => resource.Type),
      ),
    );
    const missing = [...types].filter(
      (type) => !(type in RESOURCE_PERMISSIONS) && !TYPES_WITHOUT_PERMISSIONS.has(type),
    );
    expect(missing).toEqual([]);
    // AND the variant really exercises the optional types
    expect(types).toContain("AWS::WAFv2::WebACL");
    expect(types).toContain("AWS::AutoScaling::AutoScalingGroup");
    expect(types).toContain("AWS::EC2::NatGateway");
  });

  test("the table has no entry that no variant synthesizes (kept tight)", () => {
    const types = new Set(
      templates.flatMap(({ resources }) =>
        Object.values(resources).map((resource) => resource.Type),
      ),
    );
    expect(Object.keys(RESOURCE_PERMISSIONS).filter((type) => !types.has(type))).toEqual([]);
  });

  test("every IAM role of every stack carries the boundary the execution policy requires", () => {
    const roles = templates.flatMap(({ stack, resources }) =>
      Object.entries(resources)
        .filter(([, resource]) => resource.Type === "AWS::IAM::Role")
        .map(([id, resource]) => ({
          role: `${stack}/${id}`,
          boundary: resource.Properties?.PermissionsBoundary,
        })),
    );
    expect(roles.length).toBeGreaterThan(5);
    for (const { role, boundary } of roles) {
      expect(JSON.stringify(boundary), role).toMatch(/policy\/platform-boundary/);
    }
  });
});

describe("the policy documents", () => {
  const documents = executionPolicies(CTX);
  const statements: PolicyStatement[] = documents.flatMap((document) => document.Statement);
  const actionsOf = (statement: PolicyStatement) =>
    Array.isArray(statement.Action) ? statement.Action : [statement.Action];

  test("each document stays within IAM's 6,144 characters for a managed policy", () => {
    expect(documents.length).toBeGreaterThanOrEqual(1);
    for (const document of [...documents, boundaryPolicy(CTX)]) {
      expect(policySize(document)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    }
  });

  test("stays within the limit for an account with three regions and zones", () => {
    const wide = executionPolicies({
      ...CTX,
      regions: ["eu-west-1", "us-east-1", "ap-southeast-2"],
      hostedZoneIds: ["Z1AAAAAAAAAAAA", "Z2BBBBBBBBBBBB", "Z3CCCCCCCCCCCC"],
    });
    // Bootstrap attaches the list; an account may attach 10 managed policies to a role by default
    expect(wide.length).toBeLessThanOrEqual(4);
    for (const document of wide) expect(policySize(document)).toBeLessThanOrEqual(6144);
  });

  test("no Allow grants every action, nor every IAM action, nor sts:AssumeRole", () => {
    for (const statement of statements.filter((s) => s.Effect === "Allow")) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toBe("*");
        expect(action).not.toMatch(/^iam:\*|^sts:/);
      }
    }
  });

  test("IAM writes are limited to the project's roles, and only with the boundary", () => {
    const createRole = statements.filter(
      (s) => s.Effect === "Allow" && actionsOf(s).includes("iam:CreateRole"),
    );
    expect(createRole.map((s) => s.Resource)).toEqual([
      "arn:aws:iam::111111111111:role/platform-*",
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: "DenyRolesWithoutBoundary",
        Effect: "Deny",
        Condition: {
          StringNotEquals: {
            "iam:PermissionsBoundary": "arn:aws:iam::111111111111:policy/platform-boundary",
          },
        },
      }),
    );
  });

  test.each([
    "DenyRolesWithoutBoundary",
    "DenyBoundaryRemoval",
    "DenyEditingLimits",
    "DenyIdentities",
    "DenyPassRoleToOtherServices",
  ])("has the guardrail %s", (sid) => {
    expect(statements.filter((s) => s.Sid === sid && s.Effect === "Deny")).toHaveLength(1);
  });

  test("wildcard resources come with a tag condition or for actions without resource ARNs", () => {
    const tagged = statements.find((s) => s.Sid === "TaggedWithProject");
    expect(tagged?.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/project": "platform" },
    });
    expect(actionsOf(tagged as PolicyStatement)).toContain("ec2:DeleteVpc");
    // Deletes on "*" without the tag: only the calls that have no resource ARN at all
    const untaggedDeletes = statements
      .filter((s) => s.Effect === "Allow" && s.Resource === "*" && !s.Condition)
      .flatMap(actionsOf)
      .filter((action) => /:(Delete|Deregister|Terminate|Release)/.test(action));
    expect(untaggedDeletes.sort()).toEqual([
      "application-autoscaling:DeleteScalingPolicy",
      "application-autoscaling:DeregisterScalableTarget",
      "ecs:DeregisterTaskDefinition",
    ]);
  });
});

describe("npm run bootstrap-policy", () => {
  let root: string;
  beforeAll(() => {
    root = writeTemplateRepo();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("prints create-policy and cdk bootstrap for the account's regions", () => {
    const plan = bootstrapPlan({ cwd: root, account: "222222222222", outDir: "/tmp/policies" });
    expect(plan.files.map((file) => [file.name, file.policyName])).toEqual([
      ["boundary.json", "platform-boundary"],
      ...plan.files
        .slice(1)
        .map((_file, index) => [`cfn-exec-${index + 1}.json`, `platform-cfn-exec-${index + 1}`]),
    ]);
    const execArns = plan.files
      .slice(1)
      .map((file) => `arn:aws:iam::222222222222:policy/${file.policyName}`)
      .join(",");
    expect(plan.commands).toEqual([
      "aws iam create-policy --policy-name platform-boundary --policy-document file:///tmp/policies/boundary.json",
      ...plan.files
        .slice(1)
        .map(
          (file) =>
            `aws iam create-policy --policy-name ${file.policyName} --policy-document file:///tmp/policies/${file.name}`,
        ),
      `npx cdk bootstrap aws://222222222222/eu-west-1 --cloudformation-execution-policies ${execArns}`,
    ]);
    // AND prod's hosted zone only: staging's account is another
    expect(JSON.stringify(plan.files)).toContain("hostedzone/Z00000000000PROD");
    expect(JSON.stringify(plan.files)).not.toContain("Z0000000000STAGING");
  });

  test("asks for --account when the config has several, and refuses a malformed one", () => {
    const errors: string[] = [];
    const error = vi
      .spyOn(console, "error")
      .mockImplementation((line: string) => errors.push(line));
    try {
      expect(main([], root)).toBe(2);
      expect(errors.join("\n")).toMatch(
        /names several accounts, and one bootstrap serves one account\. Fix: pass --account with one of 111111111111, 222222222222/,
      );
      expect(main(["--account", "12"], root)).toBe(2);
      expect(errors.join("\n")).toMatch(/--account 12: is not an AWS account id/);
    } finally {
      error.mockRestore();
    }
  });

  test("writes the files it names", () => {
    const log = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(main(["--account", "111111111111", "--out", "out"], root)).toBe(0);
      const written = JSON.parse(readFileSync(path.join(root, "out", "cfn-exec-1.json"), "utf8"));
      expect(written.Statement[0].Sid).toBe("DenyRolesWithoutBoundary");
      expect(log.mock.calls.flat().join("\n")).toContain(
        "npx cdk bootstrap aws://111111111111/eu-west-1 --cloudformation-execution-policies arn:aws:iam::111111111111:policy/platform-cfn-exec-1",
      );
    } finally {
      log.mockRestore();
    }
  });
});

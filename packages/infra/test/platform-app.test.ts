import { rmSync } from "node:fs";
import { ConfigError } from "@repo/platform-config/errors";
import { type LoadedPlatform, loadPlatform } from "@repo/platform-config/load";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import * as cdk from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildInfraApp } from "../src/infra-app.js";
import { addPlatformStack, awsEnvironments, cdkJsonContext } from "../src/platform-app.js";
import type { AwsEnvironment, PlatformStack } from "../src/platform-stack.js";
import { newApp, platformFixture, resolvedApp } from "./support/platform.js";

// The template's config as it ships: the repository's own is the team's to change (npm run setup).
const TEMPLATE = writeTemplateRepo();
afterAll(() => rmSync(TEMPLATE, { recursive: true, force: true }));

/** The violations AwsSolutions reports for a stack, as "rule path" lines. */
function nagFindings(stack: cdk.Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${violation.ruleName} ${resource.constructPath}`,
    ),
  );
}

describe("the template's platform stacks", () => {
  let stacks: PlatformStack[];
  let privateEc2: ReturnType<typeof platformFixture>;
  beforeAll(() => {
    // GIVEN the template's platform.config.json (local, staging, prod)
    // WHEN the platform stacks are added and synthesized
    const loaded = loadPlatform({ cwd: TEMPLATE });
    const app = newApp();
    stacks = awsEnvironments(loaded).map((environment) =>
      addPlatformStack(app, loaded, environment),
    );
    app.synth();
    // AND the variant with the most resources: NAT gateways, an Auto Scaling group
    privateEc2 = platformFixture({
      environment: {
        network: "private",
        availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      },
      apps: [
        // 400 MiB: two tasks per t3.micro, so its rolling update fits the default two instances
        resolvedApp({ name: "api", capacity: "ec2", memory: 400, desiredCount: 1, maxCount: 2 }),
        resolvedApp({ name: "web" }),
      ],
    });
  });

  test("one platform stack per AWS environment, named by awsNames, with an explicit env", () => {
    // THEN local gets none, staging and prod one each
    expect(stacks.map((stack) => [stack.stackName, stack.account, stack.region])).toEqual([
      ["platform-staging-platform", "111111111111", "eu-west-1"],
      ["platform-prod-platform", "222222222222", "eu-west-1"],
    ]);
    // AND prod (no domain of its own) lives under the platform domain
    expect(stacks[1]?.resources.domain).toBe("example.com");
  });

  test("cdk-nag AwsSolutions: no unacknowledged error or warning", () => {
    // WHEN AwsSolutions checks every stack / THEN nothing is left over
    for (const stack of stacks) expect(nagFindings(stack)).toEqual([]);
  });

  test("cdk-nag AwsSolutions: the private network with EC2 capacity has no finding either", () => {
    // WHEN / THEN
    expect(nagFindings(privateEc2.stack)).toEqual([]);
  });

  test("every acknowledgement has a reason", () => {
    // GIVEN the private EC2 variant, which acknowledges the most
    // WHEN the acknowledgements are collected from the construct tree
    const acknowledged = privateEc2.stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));

    // THEN each one explains itself
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });
});

describe("environments sharing an account", () => {
  const base = loadPlatform({ cwd: TEMPLATE });
  const sameAccount = (prod: Record<string, unknown> = {}): LoadedPlatform => ({
    ...base,
    platform: {
      ...base.platform,
      environments: {
        ...base.platform.environments,
        prod: { ...(base.platform.environments.prod as object), account: "111111111111", ...prod },
      } as unknown as LoadedPlatform["platform"]["environments"],
    },
  });

  test("the second one must name the first one's OIDC provider", () => {
    // GIVEN staging and prod in one account, neither naming a provider
    // WHEN / THEN
    expect(() => awsEnvironments(sameAccount())).toThrow(ConfigError);
    expect(() => awsEnvironments(sameAccount())).toThrow(
      /^platform\.config\.json: environments\.prod\.githubOidcProviderArn = \(missing\): is required: environments staging and prod share account 111111111111.*Fix: set environments\.prod\.githubOidcProviderArn to "arn:aws:iam::111111111111:oidc-provider\/token\.actions\.githubusercontent\.com" and deploy staging's platform first/,
    );
  });

  test("naming it is enough", () => {
    // GIVEN prod names the provider
    const loaded = sameAccount({
      githubOidcProviderArn:
        "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
    });

    // WHEN / THEN
    expect(awsEnvironments(loaded).map((environment: AwsEnvironment) => environment.name)).toEqual([
      "staging",
      "prod",
    ]);
  });
});

describe("the cloud assembly of the whole app", () => {
  let assembly: cdk.cx_api.CloudAssembly;
  beforeAll(() => {
    // GIVEN the template's config and apps / WHEN the whole app is synthesized
    const app = newApp();
    buildInfraApp({ cwd: TEMPLATE, app, nag: false });
    assembly = app.synth();
  });

  test("no stack names the CDK lookup role: cdk diff and deploy read templates as the CI role", () => {
    // THEN the CLI never tries to assume the lookup role (ReadOnlyAccess on the account)
    expect(assembly.stacks.length).toBeGreaterThan(2);
    for (const stack of assembly.stacks) {
      expect(stack.lookupRole, stack.stackName).toBeUndefined();
      // AND the deploy and file-publishing roles are still used (the infra role's grant)
      expect(stack.assumeRoleArn).toMatch(/cdk-hnb659fds-deploy-role-/);
    }
  });

  test("no image assets: the infra role needs no image-publishing role", () => {
    const dockerImages = assembly.artifacts
      .filter((artifact) => artifact instanceof cdk.cx_api.AssetManifestArtifact)
      .flatMap((artifact) => Object.keys(artifact.contents.dockerImages ?? {}));
    expect(dockerImages).toEqual([]);
  });

  test("each app stack adds only the release of its own service to the deploy role", () => {
    for (const stack of assembly.stacks.filter((s) => /-app-/.test(s.stackName))) {
      const policies = Object.values(
        stack.template.Resources as Record<string, { Type: string; Properties: never }>,
      )
        .filter((resource) => resource.Type === "AWS::IAM::Policy")
        .map(
          (resource) =>
            (resource.Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument
              .Statement as Array<{ Sid?: string; Action: string | string[] }>,
        )
        .filter((statements) => statements.some((statement) => statement.Sid === "ReleaseService"));
      expect(
        policies.map((statements) =>
          statements.map((statement) => [statement.Sid, [statement.Action].flat()]),
        ),
        stack.stackName,
      ).toEqual([
        [
          ["ReleaseService", ["ecs:DescribeServices", "ecs:UpdateService"]],
          ["PassTaskRoles", ["iam:PassRole"]],
        ],
      ]);
    }
  });
});

describe("GitHub environments", () => {
  test("an environment named like another's infra environment is refused", () => {
    // GIVEN staging and an environment named staging-infra
    const base = loadPlatform({ cwd: TEMPLATE });
    const loaded: LoadedPlatform = {
      ...base,
      platform: {
        ...base.platform,
        environments: {
          ...base.platform.environments,
          "staging-infra": {
            ...(base.platform.environments.prod as object),
            account: "333333333333",
          },
        } as unknown as LoadedPlatform["platform"]["environments"],
      },
    };
    // WHEN / THEN its release jobs would present the sub staging's infra role trusts
    expect(() => awsEnvironments(loaded)).toThrow(
      /environments\.staging-infra = "staging-infra": is the name of the GitHub environment in which environment staging's cdk deploy runs.*Fix: rename environment staging-infra so that it does not end in "-infra"/,
    );
  });
});

describe("cdk.json", () => {
  test("enables the recommended feature flags and turns off CLI telemetry", () => {
    const context = cdkJsonContext();
    expect(context["cli-telemetry"]).toBe(false);
    expect(context["@aws-cdk/core:validateAgainstDefaultRules"]).toBe(true);
    expect(context["@aws-cdk/aws-ec2:restrictDefaultSecurityGroup"]).toBe(true);
    expect(context["@aws-cdk/core:explicitStackTags"]).toBe(true);
    // Exports and Fn::ImportValue: documented where the service stacks use them, and
    // CloudFormation refuses to change an export in use (see PlatformStack.exportContract)
    expect(context["@aws-cdk/core:defaultCrossStackReferences"]).toBe("strong");
  });

  test.each([
    [
      true,
      /ERROR BucketNameTypo: Additional properties are not allowed.*\(CloudFormation Validate\)/s,
    ],
    [false, null],
  ])(
    "with validateAgainstDefaultRules = %s a CloudFormation rule violation fails synth: %s",
    (flag, error) => {
      // GIVEN an app with cdk.json's context and a resource CloudFormation would reject
      const app = new cdk.App({
        context: { ...cdkJsonContext(), "@aws-cdk/core:validateAgainstDefaultRules": flag },
      });
      const stack = new cdk.Stack(app, "Broken", {
        env: { account: "111111111111", region: "eu-west-1" },
      });
      const bucket = new s3.CfnBucket(stack, "Bucket");
      bucket.addPropertyOverride("BucketNameTypo", "x");

      // WHEN / THEN
      if (error) expect(() => app.synth()).toThrow(error);
      else expect(() => app.synth()).not.toThrow();
    },
  );
});

import { rmSync } from "node:fs";
import { ConfigError } from "@repo/platform-config/errors";
import { loadPlatform } from "@repo/platform-config/load";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildInfraApp } from "../src/infra-app.js";
import { addPlatformStack, awsEnvironments } from "../src/platform-app.js";
import { type AwsEnvironment, PlatformStack } from "../src/platform-stack.js";
import { exportNames } from "./support/cfn-functions.js";
import {
  awsEnvironment,
  newApp,
  PROJECT,
  platformFixture,
  resolvedApp,
} from "./support/platform.js";

/** The template with what may change between CDK versions (asset hashes) replaced. */
function stableTemplate(template: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, "<asset-hash>"));
}

const TEMPLATE = writeTemplateRepo();
afterAll(() => rmSync(TEMPLATE, { recursive: true, force: true }));

describe("PlatformStack", () => {
  let fixture: ReturnType<typeof platformFixture>;
  beforeAll(() => {
    // GIVEN / WHEN the template's staging environment with apps api and web
    fixture = platformFixture();
  });

  test("synthesizes the default staging platform (snapshot)", () => {
    const { stack, template } = fixture;

    // THEN the stack targets the configured account and region explicitly
    expect(stack.account).toBe("111111111111");
    expect(stack.region).toBe("eu-west-1");
    expect(stack.availabilityZones).toEqual(["eu-west-1a", "eu-west-1b"]);
    // AND the template is the reviewed one
    expect(stableTemplate(template.toJSON())).toMatchSnapshot();
  });

  test("the CDK deploy role may resolve the apps' image parameters, and only those (cdk deploy of an app stack)", () => {
    // THEN one inline policy on the bootstrap deploy role, read-only, on the image parameters
    const policies = fixture.template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: ["cdk-hnb659fds-deploy-role-111111111111-eu-west-1"] },
    });
    const documents = Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement);
    expect(documents).toHaveLength(1);
    const [statement] = documents[0];
    expect(statement.Sid).toBe("ResolveImageParameters");
    expect(statement.Action).toEqual(["ssm:GetParameter", "ssm:GetParameters"]);
    const resources = JSON.stringify(statement.Resource);
    expect(resources).toMatch(/:parameter","?,?\{"Ref":"AppApiImageParameter/);
    expect(resources).toMatch(/:parameter","?,?\{"Ref":"AppWebImageParameter/);
    expect(statement.Resource).toHaveLength(2);
  });

  test("the contract carries the environment, network choice and shared resources", () => {
    // GIVEN / WHEN the default (public) platform
    const { stack } = fixture;
    const { resources } = stack;

    // THEN
    expect(resources).toMatchObject({
      project: "platform",
      environment: "staging",
      domain: "staging.example.com",
      assignPublicIp: true,
      ec2Capacity: undefined,
    });
    expect(resources.httpsListener).toBe(stack.loadBalancerConstruct.httpsListener);
    expect(resources.loadBalancerSecurityGroup).toBe(stack.loadBalancerConstruct.securityGroup);
    expect(resources.hostedZone.hostedZoneId).toBe("Z0000000000STAGING");
    expect(resources.hostedZone.zoneName).toBe("staging.example.com");
    expect(resources.deployRole).toBe(stack.deployRole?.role);
  });

  test("tags every resource except the image parameters", () => {
    // GIVEN / WHEN the platform as bin/app.ts tags it
    const { template } = fixture;

    // THEN tagged resources carry project, environment and managed-by
    template.hasResourceProperties("AWS::ECS::Cluster", {
      Tags: Match.arrayWith([
        { Key: "environment", Value: "staging" },
        { Key: "managed-by", Value: "cdk" },
        { Key: "project", Value: "platform" },
      ]),
    });
    // AND the SSM parameters carry none (see AppRegistry)
    for (const parameter of Object.values(template.findResources("AWS::SSM::Parameter"))) {
      expect(parameter.Properties).not.toHaveProperty("Tags");
    }
  });

  test("a missing hostedZoneId fails with the environment, the field and the fix", () => {
    // GIVEN an AWS environment without hostedZoneId
    const { hostedZoneId: _omitted, ...environment } = awsEnvironment();

    // WHEN the platform stack is built
    const build = () =>
      new PlatformStack(newApp(), "platform-staging-platform", {
        project: PROJECT,
        environment: environment as AwsEnvironment,
        apps: [resolvedApp()],
      });

    // THEN a ConfigError names all three
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      /^platform\.config\.json: environments\.staging\.hostedZoneId = \(missing\): is required to deploy staging to AWS.*Fix: create a public hosted zone for staging\.example\.com in Route 53.*set environments\.staging\.hostedZoneId to its id/,
    );
  });

  test.each<[string, Partial<AwsEnvironment>, RegExp]>([
    [
      "a single zone",
      { availabilityZones: ["eu-west-1a"] },
      /Network: availabilityZones = \["eu-west-1a"\]: names 1 zone/,
    ],
    [
      "zones of another region",
      { availabilityZones: ["us-east-1a", "us-east-1b"] },
      /us-east-1a is not a zone of the stack's region eu-west-1/,
    ],
    [
      "a malformed EC2 instance type",
      { ec2: { instanceType: "large", minInstances: 1, maxInstances: 2 } },
      /Cluster: ec2Capacity.instanceType = "large"/,
    ],
    [
      "a retention CloudWatch Logs lacks",
      { logRetentionDays: 10 },
      /AppApi: logRetentionDays = 10: is not a retention period/,
    ],
  ])("refuses an environment with %s", (_name, overrides, message) => {
    // GIVEN / WHEN / THEN the construct at fault is named with its prop, value and fix
    expect(() => platformFixture({ environment: overrides })).toThrow(message);
  });

  test("refuses two apps whose names map to one construct id", () => {
    // GIVEN apps web-admin and web--admin
    const apps = [resolvedApp({ name: "web-admin" }), resolvedApp({ name: "web--admin" })];

    // WHEN / THEN
    expect(() => platformFixture({ apps })).toThrow(
      /apps "web--admin" and "web-admin" would share the construct id AppWebAdmin|apps "web-admin" and "web--admin" would share the construct id AppWebAdmin/,
    );
  });

  test("exports the whole contract, whatever the service stacks reference", () => {
    // GIVEN the template's config
    const loaded = loadPlatform({ cwd: TEMPLATE });
    const [staging] = awsEnvironments(loaded);
    if (!staging) throw new Error("the template has no staging");
    // WHEN its platform stack is synthesized alone, and with the service stacks that import from it
    const alone = Template.fromStack(addPlatformStack(newApp(), loaded, staging)).toJSON();
    const [withApps] = buildInfraApp({ cwd: TEMPLATE, app: newApp(), nag: false }).platformStacks;
    if (!withApps) throw new Error("no platform stack");
    // THEN the exports are the same: no app's use adds or (by changing) drops one
    const exported = exportNames(Template.fromStack(withApps).toJSON());
    expect(exported).toEqual(exportNames(alone));
    expect(exported.length).toBeGreaterThan(10);
  });

  test("refuses apps that do not fit the EC2 capacity together, naming the numbers", () => {
    // GIVEN two apps of 512 MiB, one task each and at most two: each fits two t3.micro alone
    const apps = ["api", "web"].map((name) =>
      resolvedApp({ name, capacity: "ec2", desiredCount: 1, minCount: 1, maxCount: 2 }),
    );
    // WHEN the platform is built with the default EC2 capacity (t3.micro, at most 2)
    // THEN their rolling updates together need 4 instances
    expect(() => platformFixture({ apps })).toThrow(
      /^platform\.config\.json: environments\.staging\.ec2\.maxInstances = 2: is too few for the 2 apps on EC2 capacity in environment staging: .* take 4 t3\.micro instances.*Fix: set environments\.staging\.ec2\.maxInstances in platform\.config\.json to 4 or more/,
    );
  });
});

import * as cdk from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, test } from "vitest";
import { AppService } from "../src/constructs/app-service.js";
import {
  appNames,
  createPlatform,
  ENV,
  newApp,
  serviceStack,
  testApp,
} from "./fixtures/platform.js";

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

/** The AwsSolutions findings of the constructs under `scope`, as rule ids. */
function findings(scope: cdk.Stack): string[] {
  // validateScope is cdk-nag 3's entry point for tests: the same rules the policy validation
  // plugin runs at synth, on one stack, so the fixture platform's own findings stay out.
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.map((violation) => violation.ruleName).sort();
}

describe("cdk-nag AwsSolutionsChecks", () => {
  test.each([
    ["Fargate with secrets", serviceStack({ secrets: SECRETS })],
    ["Fargate Spot", serviceStack({ capacity: "fargate-spot" })],
    [
      "EC2",
      serviceStack(
        { capacity: "ec2", memory: 400, desiredCount: 1, maxCount: 2 },
        { ec2InstanceType: "t3.micro" },
      ),
    ],
  ])("the service stack (%s) has no unacknowledged finding", (_name, fixture) => {
    // GIVEN a synthesized app WHEN the rules run on the service stack
    fixture.app.synth();
    // THEN
    expect(findings(fixture.stack)).toEqual([]);
  });

  test("each acknowledgement covers a finding the construct really has, and nothing else", () => {
    // GIVEN the same construct in a plain stack, without AppServiceStack's acknowledgements
    const app = newApp();
    const { platform } = createPlatform(app);
    const stack = new cdk.Stack(app, "Bare", { env: ENV });
    new AppService(stack, "Service", {
      platform,
      app: testApp({ secrets: SECRETS }),
      names: appNames("api"),
      listenerPriority: 100,
    });
    app.synth();
    // WHEN / THEN exactly the two acknowledged findings appear
    expect(findings(stack)).toEqual(["AwsSolutions-ECS2", "AwsSolutions-IAM5[Resource::*]"]);
  });
});

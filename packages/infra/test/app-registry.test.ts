import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, test } from "vitest";
import { AppRegistry, type AppRegistryProps } from "../src/constructs/app-registry.js";
import { UNRELEASED_IMAGE } from "../src/platform-resources.js";
import { newStack, platformFixture } from "./support/platform.js";

/** The lifecycle policy ECR gets, exactly: the contract with deploy-kit's `release-` tags. */
const LIFECYCLE_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: "Keep the newest 30 released images (release-*)",
      selection: {
        tagStatus: "tagged",
        tagPrefixList: ["release-"],
        countType: "imageCountMoreThan",
        countNumber: 30,
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 2,
      description: "Expire untagged images after 7 days",
      selection: {
        tagStatus: "untagged",
        countType: "sinceImagePushed",
        countNumber: 7,
        countUnit: "days",
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 3,
      description: "Expire any other image beyond the newest 200",
      selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 200 },
      action: { type: "expire" },
    },
  ],
};

describe("AppRegistry in the platform stack", () => {
  let fixture: ReturnType<typeof platformFixture>;
  beforeAll(() => {
    // GIVEN the default staging platform with apps api and web
    fixture = platformFixture();
  });

  test.each(["api", "web"])(
    "%s gets an immutable, scanned, encrypted, retained repository",
    (app) => {
      // THEN
      fixture.template.hasResource("AWS::ECR::Repository", {
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
        Properties: Match.objectLike({
          RepositoryName: `platform/staging/${app}`,
          ImageTagMutability: "IMMUTABLE",
          ImageScanningConfiguration: { ScanOnPush: true },
          // AES-256 is ECR's default encryption at rest: CDK renders it as no EncryptionConfiguration
          EncryptionConfiguration: Match.absent(),
        }),
      });
    },
  );

  test("the lifecycle policy keeps 30 releases, drops untagged images after 7 days, caps at 200", () => {
    // THEN each repository's policy is exactly the three rules, in priority order
    const repositories = Object.values(fixture.template.findResources("AWS::ECR::Repository"));
    expect(repositories).toHaveLength(2);
    for (const repository of repositories) {
      const policy = repository.Properties.LifecyclePolicy as { LifecyclePolicyText: string };
      expect(JSON.parse(policy.LifecyclePolicyText)).toEqual(LIFECYCLE_POLICY);
    }
  });

  test.each(["api", "web"])(
    "%s logs to its named log group with the environment's retention",
    (app) => {
      fixture.template.hasResource("AWS::Logs::LogGroup", {
        DeletionPolicy: "Retain",
        Properties: Match.objectLike({
          LogGroupName: `/ecs/platform/staging/${app}`,
          RetentionInDays: 30,
        }),
      });
    },
  );

  test("the retention follows the environment's logRetentionDays", () => {
    // GIVEN / WHEN an environment that keeps logs for 90 days
    const { template } = platformFixture({ environment: { logRetentionDays: 90 } });

    // THEN
    template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/ecs/platform/staging/api",
      RetentionInDays: 90,
    });
  });

  test.each(["api", "web"])(
    "%s's image parameter starts as UNRELEASED_IMAGE and carries no tags",
    (app) => {
      // THEN the parameter has the contract's name and initial value
      const parameters = fixture.template.findResources("AWS::SSM::Parameter", {
        Properties: { Name: `/platform/staging/${app}/image` },
      });
      const [parameter] = Object.values(parameters);
      expect(parameter?.Properties).toEqual({
        Name: `/platform/staging/${app}/image`,
        Type: "String",
        Value: UNRELEASED_IMAGE,
        Tier: "Standard",
        Description: `The image app ${app} runs; written by deploy-kit after each release`,
      });
      // AND no Tags: a tag change would make CloudFormation write Value over the released image
      expect(parameter?.Properties).not.toHaveProperty("Tags");
    },
  );

  test.each<[string, Partial<AppRegistryProps>, RegExp]>([
    [
      "a retention CloudWatch Logs does not offer",
      { logRetentionDays: 31 },
      /logRetentionDays = 31: is not a retention period CloudWatch Logs offers\. Fix: set logRetentionDays to one of 1, 3, 5, 7, 14, 30/,
    ],
    [
      "keeping no releases",
      { keepReleases: 0 },
      /keepReleases = 0: must be a whole number, at least 1/,
    ],
    ["a fractional expiry", { untaggedExpiryDays: 1.5 }, /untaggedExpiryDays = 1.5/],
  ])("refuses %s", (_name, props, message) => {
    // GIVEN a stack
    const stack = newStack("R");

    // WHEN / THEN
    expect(
      () =>
        new AppRegistry(stack, "App", {
          appName: "api",
          repositoryName: "p/s/api",
          logGroupName: "/ecs/p/s/api",
          imageParameterName: "/p/s/api/image",
          logRetentionDays: 30,
          ...props,
        }),
    ).toThrow(message);
  });

  test("the contract exposes each app's resources", () => {
    // THEN resources.apps holds what the service stacks use, by app name
    const { stack } = fixture;
    expect(Object.keys(stack.resources.apps)).toEqual(["api", "web"]);
    const api = stack.resources.apps.api;
    expect(stack.resolve(api?.repository.repositoryName)).toEqual({
      Ref: expect.stringMatching(/^AppApiRepository/),
    });
    expect(stack.resolve(api?.logGroup.logGroupName)).toEqual({
      Ref: expect.stringMatching(/^AppApiLogGroup/),
    });
    expect(stack.resolve(api?.imageParameter.parameterName)).toEqual({
      Ref: expect.stringMatching(/^AppApiImageParameter/),
    });
  });
});

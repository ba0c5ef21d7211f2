import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, test } from "vitest";
import { AppRegistry, type AppRegistryProps } from "../src/constructs/app-registry.js";
import { UNRELEASED_IMAGE } from "../src/platform-resources.js";
import {
  expiredImages,
  type LifecyclePolicy,
  policyProblems,
  type RepositoryImage,
} from "./support/ecr-lifecycle.js";
import { newStack, platformFixture } from "./support/platform.js";

/** The lifecycle policy ECR gets, exactly: the contract with deploy-kit's `release-` tags. */
const LIFECYCLE_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: "Never expire a released image (release-*)",
      selection: {
        tagStatus: "tagged",
        tagPrefixList: ["release-"],
        countType: "imageCountMoreThan",
        countNumber: 100_000,
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

  test("the lifecycle policy protects releases, drops untagged images after 7 days, caps at 200", () => {
    // THEN each repository's policy is exactly the three rules, in priority order
    const repositories = Object.values(fixture.template.findResources("AWS::ECR::Repository"));
    expect(repositories).toHaveLength(2);
    for (const repository of repositories) {
      const policy = repository.Properties.LifecyclePolicy as { LifecyclePolicyText: string };
      expect(JSON.parse(policy.LifecyclePolicyText)).toEqual(LIFECYCLE_POLICY);
      // AND ECR accepts it
      expect(
        policyProblems(LIFECYCLE_POLICY as LifecyclePolicy, policy.LifecyclePolicyText),
      ).toEqual([]);
    }
  });

  test("ECR never expires a released image, however old or however many, and still cleans up", () => {
    // GIVEN the policy of the api repository
    const [repository] = Object.values(
      fixture.template.findResources("AWS::ECR::Repository", {
        Properties: { RepositoryName: "platform/staging/api" },
      }),
    );
    if (!repository) throw new Error("no api repository");
    const text = (repository.Properties.LifecyclePolicy as { LifecyclePolicyText: string })
      .LifecyclePolicyText;
    const policy = JSON.parse(text) as LifecyclePolicy;
    // AND a repository after two years of daily releases (deploy-kit tags each `release-<time>`
    // beside its commit tag), the environment rolled back to the oldest release, 400 builds that
    // were pushed but never released, and untagged leftovers of superseded pushes
    const days = 730;
    const releases: RepositoryImage[] = Array.from({ length: days }, (_, day) => ({
      id: `release-${day}`,
      tags: [`commit${day}`, `release-2026${String(day).padStart(4, "0")}T120000Z`],
      pushedDaysAgo: day,
    }));
    const unreleased: RepositoryImage[] = Array.from({ length: 400 }, (_, n) => ({
      id: `build-${n}`,
      tags: [`build${n}`],
      pushedDaysAgo: (n * days) / 400,
    }));
    const untagged: RepositoryImage[] = [1, 3, 6, 8, 30, 400].map((age) => ({
      id: `untagged-${age}`,
      tags: [],
      pushedDaysAgo: age,
    }));
    const running = releases.at(-1) as RepositoryImage;

    // WHEN ECR applies the policy
    const expired = expiredImages(policy, [...releases, ...unreleased, ...untagged]);

    // THEN no release is expired: not the one that runs after the rollback, not any other
    expect(expired.has(running.id)).toBe(false);
    expect(releases.filter((image) => expired.has(image.id))).toEqual([]);
    // AND untagged images go after 7 days, unreleased builds beyond the newest 200 images
    expect([...expired].filter((id) => id.startsWith("untagged"))).toEqual([
      "untagged-8",
      "untagged-30",
      "untagged-400",
    ]);
    expect(expired.has("build-0")).toBe(false);
    expect(expired.has("build-399")).toBe(true);
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
    ["keeping no images", { keepImages: 0 }, /keepImages = 0: must be a whole number, at least 1/],
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

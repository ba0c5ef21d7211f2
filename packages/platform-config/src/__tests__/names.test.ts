import { describe, expect, it } from "vitest";
import { awsNames, githubEnvironments, githubOidcProviderArn, iamRoleArn } from "../names.js";

describe("awsNames", () => {
  it("names an environment's resources and each app's", () => {
    const names = awsNames("acme", "prod");
    expect(names).toMatchObject({
      cluster: "acme-prod",
      platformStack: "acme-prod-platform",
      deployRole: "acme-prod-deploy",
      infraRole: "acme-prod-infra",
      infraDiffRole: "acme-prod-infra-diff",
    });
    expect(names.app("api")).toEqual({
      stack: "acme-prod-app-api",
      service: "api",
      taskFamily: "acme-prod-api",
      repository: "acme/prod/api",
      imageParameter: "/acme/prod/api/image",
      logGroup: "/ecs/acme/prod/api",
      container: "api",
    });
  });

  it("keeps environments that share an account apart", () => {
    expect(awsNames("acme", "staging").app("api").repository).not.toBe(
      awsNames("acme", "prod").app("api").repository,
    );
  });
});

describe("ARNs in the region's partition", () => {
  it.each([
    ["eu-west-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("%s: %s", (region, partition) => {
    expect(iamRoleArn("123456789012", region, "acme-prod-deploy")).toBe(
      `arn:${partition}:iam::123456789012:role/acme-prod-deploy`,
    );
    expect(githubOidcProviderArn("123456789012", region)).toBe(
      `arn:${partition}:iam::123456789012:oidc-provider/token.actions.githubusercontent.com`,
    );
  });
});

describe("githubEnvironments", () => {
  it("puts releases and cdk deploy of an environment in two GitHub environments", () => {
    expect(githubEnvironments("prod")).toEqual({ release: "prod", infra: "prod-infra" });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { captureOutput } from "@repo/test-kit/capture";
import { afterEach, describe, expect, it } from "vitest";
import { platformEnvironment, platformEnvMain } from "../platform-env.js";
import { repoRoot } from "./support.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], cwd = repoRoot) {
  const output = captureOutput();
  const { stdout, stderr } = output;
  const code = platformEnvMain(argv, { stdout, stderr, cwd });
  return { code, out: output.out, err: output.err };
}

describe("platform-env", () => {
  it("prints an environment's facts as GitHub step outputs, from platform.config.json", () => {
    expect(run(["staging"])).toEqual({
      code: 0,
      out: [
        "project=platform",
        "environment=staging",
        "account=111111111111",
        "region=eu-west-1",
        "stacks=platform-staging-*",
        "deploy-role-arn=arn:aws:iam::111111111111:role/platform-staging-deploy",
        "infra-role-arn=arn:aws:iam::111111111111:role/platform-staging-infra",
        "infra-diff-role-arn=arn:aws:iam::111111111111:role/platform-staging-infra-diff",
        // Releases and cdk deploy run in two GitHub environments: the roles trust one each.
        "github-environment=staging",
        "github-infra-environment=staging-infra",
        "",
      ].join("\n"),
      err: "",
    });
  });

  it("uses the region's partition in the ARNs", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ci-platform-env-"));
    dirs.push(dir);
    writeFileSync(
      path.join(dir, "platform.config.json"),
      JSON.stringify({
        project: "shop",
        domain: "example.cn",
        environments: {
          prod: { account: "333333333333", region: "cn-north-1", hostedZoneId: "Z1" },
        },
      }),
    );
    expect(platformEnvironment(dir, "prod")["deploy-role-arn"]).toBe(
      "arn:aws-cn:iam::333333333333:role/shop-prod-deploy",
    );
  });

  it.each([
    [
      ["local"],
      /"local" is not an AWS environment of platform.config.json: use one of staging, prod/,
    ],
    [["qa"], /"qa" is not an AWS environment/],
    [[], /Name one environment/],
    [["staging", "prod"], /Name one environment/],
  ])("%j: exit 2 and what to name", (argv, message) => {
    const result = run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

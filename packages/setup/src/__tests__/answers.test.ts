import { describe, expect, it } from "vitest";
import {
  AnswersError,
  validateAccount,
  validateAnswers,
  validateDomain,
  validateEnvironments,
  validateGithub,
  validateHostedZoneId,
  validateProject,
  validateRegion,
} from "../answers.js";
import { ACME } from "./support.js";

/** The one line a user sees for a bad answer. */
function problem(result: { ok: boolean; problem?: unknown }): string {
  expect(result.ok).toBe(false);
  const { field, value, message, fix } = (result as { problem: Record<string, unknown> }).problem;
  return `${field} = ${JSON.stringify(value)}: ${message}. Fix: ${fix}`;
}

describe("each answer is checked with the platform config's own rules", () => {
  it.each([
    ["acme", "acme"],
    ["  team-7 ", "team-7"],
  ])("project %j is %j", (input, expected) => {
    expect(validateProject(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["Acme", /--project = "Acme": is not a valid project name\. Fix: use .*lower-case letters/],
    ["7eleven", /is not a valid project name/],
    ["a-very-long-project-name-indeed", /is not a valid project name/],
    ["acme-", /is not a valid project name/],
  ])("project %j is refused", (input, expected) => {
    expect(problem(validateProject(input))).toMatch(expected);
  });

  it.each([
    ["acme.dev", "acme.dev"],
    ["Apps.Example.COM.", "apps.example.com"],
  ])("domain %j is %j (case and the Route 53 trailing dot forgiven)", (input, expected) => {
    expect(validateDomain(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["https://acme.dev/", /is a URL, not a domain\. Fix: use the domain alone.*"acme\.dev"/],
    ["*.acme.dev", /is a wildcard\. Fix: use the domain itself, "acme\.dev"/],
    ["localhost", /is not a domain name/],
    ["acme_dev.com", /is not a domain name/],
    ["-acme.dev", /is not a domain name/],
  ])("domain %j is refused", (input, expected) => {
    expect(problem(validateDomain(input))).toMatch(expected);
  });

  it.each([
    ["Z0123456789ABCDEFGHIJ", "Z0123456789ABCDEFGHIJ"],
    ["/hostedzone/Z2FDTNDATAQYW2", "Z2FDTNDATAQYW2"],
  ])("hosted zone id %j is %j", (input, expected) => {
    expect(validateHostedZoneId(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["z2fdtndataqyw2", /has lower-case letters.*Fix: use "Z2FDTNDATAQYW2"/],
    ["2FDTNDATAQYW2", /is not a Route 53 hosted zone id\. Fix: use .*"Z" and up to 32/],
    ["Z-123", /is not a Route 53 hosted zone id/],
    ["example.com", /is not a Route 53 hosted zone id/],
  ])("hosted zone id %j is refused", (input, expected) => {
    expect(problem(validateHostedZoneId(input))).toMatch(expected);
  });

  it.each([
    ["123456789012", "123456789012"],
    ["0123-4567-8901", "012345678901"],
  ])("account %j is %j", (input, expected) => {
    expect(validateAccount(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["12345678901", /has 11 digits, and an AWS account id has 12/],
    [
      "acme-prod",
      /is not an AWS account id\. Fix: use the AWS account id as a string of 12 digits/,
    ],
  ])("account %j is refused", (input, expected) => {
    expect(problem(validateAccount(input))).toMatch(expected);
  });

  it.each([["eu-west-1"], ["us-gov-west-1"], ["ap-southeast-2"], ["cn-north-1"]])(
    "region %j is a region",
    (input) => {
      expect(validateRegion(input)).toEqual({ ok: true, value: input });
    },
  );

  it.each([
    ["eu-west-1a", /is an availability zone, not a region\. Fix: use its region, "eu-west-1"/],
    [
      "Europe (Ireland)",
      /is not an AWS region code\. Fix: use an AWS region code, for example "eu-west-1"/,
    ],
    ["euwest1", /is not an AWS region code/],
  ])("region %j is refused", (input, expected) => {
    expect(problem(validateRegion(input))).toMatch(expected);
  });

  it.each([
    ["staging,prod", ["staging", "prod"]],
    [" dev , staging , production ", ["dev", "staging", "production"]],
    [["prod"], ["prod"]],
  ])("environments %j are %j", (input, expected) => {
    expect(validateEnvironments(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", /names no AWS environment\. Fix: list at least one/],
    ["local,prod", /lists "local", which is built in\. Fix: leave it out: prod/],
    [
      "staging,Prod",
      /has "Prod", which is not a valid environment name\. Fix: name the environment with 2 to 16 lower-case/,
    ],
    ["qa,qa", /lists "qa" twice/],
    ["p", /has "p", which is not a valid environment name/],
  ])("environments %j are refused", (input, expected) => {
    expect(problem(validateEnvironments(input))).toMatch(expected);
  });

  it.each([
    ["acme/platform", { owner: "acme", repo: "platform" }],
    ["https://github.com/acme-co/my.platform.git", { owner: "acme-co", repo: "my.platform" }],
    ["git@github.com:acme/platform.git", { owner: "acme", repo: "platform" }],
  ])("github %j is %j", (input, expected) => {
    expect(validateGithub(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["acme", /--github = "acme": is not owner\/repo\. Fix: use the repository as owner\/repo/],
    ["acme/platform/extra", /is not owner\/repo/],
    ["-acme/platform", /is not a GitHub user or organization name/],
    ["acme/..", /is not a GitHub repository name/],
  ])("github %j is refused", (input, expected) => {
    expect(problem(validateGithub(input))).toMatch(expected);
  });
});

describe("validateAnswers", () => {
  it("returns every answer normalized, with per-environment overrides", () => {
    expect(
      validateAnswers({
        ...ACME,
        domain: "ACME.dev.",
        overrides: { prod: { account: "210987654321", region: "us-east-1" } },
      }),
    ).toEqual({
      project: "acme",
      domain: "acme.dev",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      account: "123456789012",
      region: "eu-central-1",
      environments: ["staging", "prod"],
      overrides: { prod: { account: "210987654321", region: "us-east-1" } },
      github: { owner: "acme-co", repo: "platform" },
    });
  });

  it("reports every missing and bad answer at once, each naming its flag", () => {
    let error: unknown;
    try {
      validateAnswers({ project: "acme", account: "1" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AnswersError);
    expect((error as Error).message.split("\n")).toEqual([
      "--domain = (missing): is required. Fix: pass --domain <domain> (or run without --yes to be asked)",
      "--hosted-zone-id = (missing): is required. Fix: pass --hosted-zone-id <Z...> (or run without --yes to be asked)",
      '--account = "1": has 1 digit, and an AWS account id has 12. Fix: copy the 12-digit id from the AWS console\'s account menu (leading zeros included)',
      "--region = (missing): is required. Fix: pass --region <region> (or run without --yes to be asked)",
      "--github = (missing): is required. Fix: pass --github <owner/repo> (or run without --yes to be asked)",
      "--environments = (missing): is required. Fix: pass --environments staging,prod (the AWS environments in promotion order)",
    ]);
  });

  it("refuses an override for an environment that is not listed", () => {
    expect(() =>
      validateAnswers({ ...ACME, overrides: { qa: { account: "210987654321" } } }),
    ).toThrow(
      '--env-account qa = "210987654321": is for environment "qa", which is not in --environments (staging,prod). Fix: add qa to --environments, or drop --env-account qa=210987654321',
    );
  });

  it("checks an override like the answer it overrides", () => {
    expect(() =>
      validateAnswers({ ...ACME, overrides: { prod: { region: "us-east-1b" } } }),
    ).toThrow(
      /^--env-region prod = "us-east-1b": is an availability zone, not a region\. Fix: use its region, "us-east-1"$/,
    );
  });
});

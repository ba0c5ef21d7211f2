import { existsSync, readFileSync } from "node:fs";
import { Annotations, Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, test } from "vitest";
import {
  GITHUB_WORKFLOW_FILES,
  githubSubjects,
  githubTrustConditions,
} from "../src/constructs/github-trust.js";
import { GITHUB, platformFixture } from "./support/platform.js";
import { type GitHubClaims, globMatches, jobClaims, trustAllows } from "./support/trust.js";

const OWNER_ID = "1001";
const REPOSITORY_ID = "2002";
const IDS = { ownerId: OWNER_ID, repositoryId: REPOSITORY_ID };

/** A job of the template's repository: `overrides` on top of a release to staging from main. */
function job(overrides: Partial<Parameters<typeof jobClaims>[0]> = {}): GitHubClaims {
  return jobClaims({
    owner: GITHUB.owner,
    repo: GITHUB.repo,
    ...IDS,
    environment: "staging",
    event: "push",
    ref: "refs/heads/main",
    workflowFile: GITHUB_WORKFLOW_FILES.release,
    ...overrides,
  });
}

// Claims as GitHub mints them for each job of the workflows (github/docs, "OIDC token claims").
const CLAIMS = {
  release: job(),
  releaseFromTag: job({ event: "workflow_dispatch", ref: "refs/tags/@repo/api@0.2.0" }),
  infra: job({ environment: "staging-infra", workflowFile: GITHUB_WORKFLOW_FILES.infra }),
  // infra-deploy.yml as it ran before: in the release environment
  infraInReleaseEnvironment: job({ workflowFile: GITHUB_WORKFLOW_FILES.infra }),
  infraFromBranch: job({
    environment: "staging-infra",
    workflowFile: GITHUB_WORKFLOW_FILES.infra,
    ref: "refs/heads/feature",
  }),
  pullRequest: job({
    environment: undefined,
    event: "pull_request",
    ref: "refs/pull/7/merge",
    workflowFile: GITHUB_WORKFLOW_FILES.diff,
  }),
  // a release job that names the infra environment, from a workflow merged to another branch
  releaseWorkflowInInfraEnvironment: job({ environment: "staging-infra" }),
} satisfies Record<string, GitHubClaims>;

type RoleName = "deploy" | "infra" | "infra-diff";

/** The trust policy of the role `platform-staging-<role>`. */
function trustOf(template: Template, role: RoleName) {
  const roles = template.findResources("AWS::IAM::Role", {
    Properties: { RoleName: `platform-staging-${role}` },
  });
  const [resource] = Object.values(roles);
  if (!resource) throw new Error(`no role platform-staging-${role}`);
  return resource.Properties.AssumeRolePolicyDocument;
}

function allows(template: Template, role: RoleName, claims: GitHubClaims): boolean {
  return trustAllows(trustOf(template, role), claims);
}

/** Which of the three roles accept `claims`. */
function rolesFor(template: Template, claims: GitHubClaims): RoleName[] {
  return (["deploy", "infra", "infra-diff"] as const).filter((role) =>
    allows(template, role, claims),
  );
}

const VARIANTS = [
  ["aws", "eu-west-1", IDS],
  ["aws", "eu-west-1", {}],
  ["aws-us-gov", "us-gov-west-1", IDS],
  ["aws-us-gov", "us-gov-west-1", {}],
] as const;

describe.each(VARIANTS)("in partition %s (%s), ids %j", (partition, region, ids) => {
  let template: Template;
  beforeAll(() => {
    // GIVEN the staging platform of example/platform in that partition
    template = platformFixture({
      github: { ...GITHUB, ...ids },
      environment: { region, availabilityZones: [`${region}a`, `${region}b`] },
    }).template;
  });

  test.each([
    ["a release from main", CLAIMS.release, ["deploy"]],
    ["a release from a release tag", CLAIMS.releaseFromTag, ["deploy"]],
    ["cdk deploy in the -infra environment", CLAIMS.infra, ["infra"]],
    ["a pull request's cdk diff", CLAIMS.pullRequest, ["infra-diff"]],
  ])("%s can assume exactly its own role", (_title, claims, roles) => {
    // WHEN / THEN
    expect(rolesFor(template, claims)).toEqual(roles);
  });

  test.each([
    ["the classic", false],
    ["the immutable", true],
  ])("%s sub format is accepted", (_title, immutableSubject) => {
    expect(rolesFor(template, job({ immutableSubject }))).toEqual(["deploy"]);
    expect(
      rolesFor(
        template,
        job({
          immutableSubject,
          environment: "staging-infra",
          workflowFile: GITHUB_WORKFLOW_FILES.infra,
        }),
      ),
    ).toEqual(["infra"]);
  });

  test("no release job can become the infra role, and no infra job the deploy role", () => {
    expect(allows(template, "infra", CLAIMS.release)).toBe(false);
    expect(allows(template, "infra", CLAIMS.releaseFromTag)).toBe(false);
    expect(allows(template, "infra", CLAIMS.infraInReleaseEnvironment)).toBe(false);
    expect(allows(template, "deploy", CLAIMS.infra)).toBe(false);
  });

  test("another repository of the same owner is refused, whatever it names its environment", () => {
    // GIVEN example/sandbox, whose environment name mimics this repository's immutable sub
    for (const immutableSubject of [false, true]) {
      const sandbox = jobClaims({
        owner: GITHUB.owner,
        repo: "sandbox",
        ownerId: OWNER_ID,
        repositoryId: "3003",
        environment: `x/${GITHUB.repo}@${REPOSITORY_ID}:environment:staging`,
        event: "push",
        ref: "refs/heads/main",
        workflowFile: GITHUB_WORKFLOW_FILES.release,
        immutableSubject,
      });
      // THEN no role accepts it
      expect(rolesFor(template, sandbox)).toEqual([]);
    }
  });

  test("tokens for another audience are refused", () => {
    expect(rolesFor(template, { ...CLAIMS.release, aud: "https://github.com/example" })).toEqual(
      [],
    );
  });

  if (partition === "aws") {
    test("STS checks the reusable workflow and its ref", () => {
      // cdk deploy from a branch, or the release workflow in the infra environment
      expect(allows(template, "infra", CLAIMS.infraFromBranch)).toBe(false);
      expect(allows(template, "infra", CLAIMS.releaseWorkflowInInfraEnvironment)).toBe(false);
      // a release from another branch, or from a tag that is no release tag
      expect(allows(template, "deploy", job({ ref: "refs/heads/feature" }))).toBe(false);
      expect(allows(template, "deploy", job({ ref: "refs/tags/v1" }))).toBe(false);
      // a pull request's job in another workflow
      expect(allows(template, "infra-diff", { ...CLAIMS.pullRequest, job_workflow_ref: "x" })).toBe(
        false,
      );
    });
  } else {
    test("no claim key STS does not support in this partition", () => {
      // WHEN / THEN only aud and sub are checked: job_workflow_ref or repository_id would make
      // every AssumeRoleWithWebIdentity fail here
      for (const role of ["deploy", "infra", "infra-diff"] as const) {
        expect(JSON.stringify(trustOf(template, role))).not.toMatch(
          /job_workflow_ref|repository_id/,
        );
      }
      // AND the GitHub environment is the guard: its branch rule keeps cdk deploy on main
      expect(allows(template, "infra", CLAIMS.infraFromBranch)).toBe(true);
    });
  }

  if ("repositoryId" in ids) {
    test("a repository re-created under the same name is refused", () => {
      // GIVEN the same names with other ids, in the immutable format
      const recreated = job({ ownerId: OWNER_ID, repositoryId: "9999", immutableSubject: true });
      // THEN no role accepts it
      expect(rolesFor(template, recreated)).toEqual([]);
      if (partition === "aws") {
        // AND in the commercial partition not with the classic sub either
        expect(rolesFor(template, job({ repositoryId: "9999" }))).toEqual([]);
      }
    });
  }
});

describe("the trust conditions", () => {
  test("with the ids: exact subjects in both formats, repository_id, and the workflow at main", () => {
    expect(
      githubTrustConditions(
        { owner: "acme", repo: "platform", ownerId: "11", repositoryId: "22" },
        {
          context: { environment: "prod-infra" },
          workflowFile: "infra-deploy.yml",
          refs: ["refs/heads/main"],
          claimKeys: true,
        },
      ),
    ).toEqual({
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
    });
  });

  test("without the ids: the immutable format with wildcard ids, and never a second slash", () => {
    expect(githubSubjects({ owner: "acme", repo: "platform" }, { event: "pull_request" })).toEqual([
      "repo:acme/platform:pull_request",
      "repo:acme@*/platform@*:pull_request",
    ]);
    expect(
      githubTrustConditions(
        { owner: "acme", repo: "platform" },
        {
          context: { event: "pull_request" },
          workflowFile: "infra-diff.yml",
          refs: ["refs/pull/*/merge"],
          claimKeys: false,
        },
      ),
    ).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      StringLike: {
        "token.actions.githubusercontent.com:sub": [
          "repo:acme/platform:pull_request",
          "repo:acme@*/platform@*:pull_request",
        ],
      },
      StringNotLike: { "token.actions.githubusercontent.com:sub": "*/*/*" },
    });
  });

  test("never ForAllValues or ForAnyValue (true when a claim is absent)", () => {
    const { template } = platformFixture();
    for (const role of ["deploy", "infra", "infra-diff"] as const) {
      expect(JSON.stringify(trustOf(template, role))).not.toMatch(/ForAllValues|ForAnyValue/);
    }
  });
});

describe("the GitHub ids", () => {
  test("absent: a synth warning says how to add them", () => {
    const { stack } = platformFixture();
    Annotations.fromStack(stack).hasWarning(
      "/platform-staging-platform",
      Match.stringLikeRegexp(
        "sets no github.ownerId or github.repositoryId.*gh api repos/example/platform --jq",
      ),
    );
  });

  test("present: no warning", () => {
    const { stack } = platformFixture({ github: { ...GITHUB, ...IDS } });
    Annotations.fromStack(stack).hasNoWarning(
      "/platform-staging-platform",
      Match.stringLikeRegexp("GitHubIdsMissing|github.repositoryId"),
    );
  });

  test.each([
    ["ownerId", { ownerId: "12a" }],
    ["repositoryId", { repositoryId: "" }],
  ])("a bad %s fails with the field and the command that prints it", (field, ids) => {
    expect(() => platformFixture({ github: { ...GITHUB, ...ids } })).toThrow(
      new RegExp(`github\\.${field}.*is not a GitHub id.*gh api repos/example/platform`),
    );
  });
});

describe("the workflows the trusts name", () => {
  const workflows = new URL("../../../.github/workflows/", import.meta.url);
  test.each([
    ["release", "AWS_DEPLOY_ROLE_ARN"],
    ["infra", "AWS_INFRA_ROLE_ARN"],
    ["diff", "infra-diff-role-arn"],
  ] as const)("%s: the reusable workflow exists and assumes that role", (kind, roleVariable) => {
    const file = new URL(GITHUB_WORKFLOW_FILES[kind], workflows);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^ {2}workflow_call:/m);
    expect(text).toContain("id-token: write");
    expect(text).toContain(roleVariable);
  });
});

describe("the evaluator", () => {
  test.each([
    ["a*c", "abbbc", true],
    ["a*c", "ac", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["refs/tags/@repo/*", "refs/tags/@repo/api@0.2.0", true],
    ["a.c", "abc", false],
    ["*/*/*", "repo:o@1/r@2:environment:x", false],
  ])("StringLike %s ~ %s: %s", (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  test("an unknown operator throws instead of guessing", () => {
    const document = {
      Statement: [
        {
          Effect: "Allow" as const,
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEqualsIgnoreCase: { "token.actions.githubusercontent.com:sub": "x" } },
        },
      ],
    };
    expect(() => trustAllows(document, CLAIMS.release)).toThrow(/unsupported condition operator/);
  });

  test("a claim the token lacks fails the condition", () => {
    const { template } = platformFixture({ github: { ...GITHUB, ...IDS } });
    const { repository_id: _, ...withoutId } = CLAIMS.release;
    expect(allows(template, "deploy", CLAIMS.release)).toBe(true);
    expect(allows(template, "deploy", withoutId)).toBe(false);
  });
});

import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadPlatform } from "@repo/platform-config/load";
import { captureOutput } from "@repo/test-kit/capture";
import { afterEach, describe, expect, it } from "vitest";
import {
  applyPlan,
  environmentBody,
  type GhRunner,
  planGitHubSetup,
  renderCommands,
} from "../github-setup.js";
import { platformGitHubMain } from "../platform-github.js";
import { repoRoot } from "./support.js";

// The fixture config: staging (account 1111...) and prod (2222...), both in eu-west-1, the
// repository example/platform, the apps @repo/api and @repo/web.
const loaded = loadPlatform({ cwd: repoRoot });
const REPO = "example/platform";
/** The config with the repository's immutable ids (example/platform is 456, its owner 123). */
const withIds = {
  ...loaded,
  platform: {
    ...loaded.platform,
    github: { owner: "example", repo: "platform", ownerId: "123", repositoryId: "456" },
  },
};
const IDS = `api repos/${REPO} --jq "\\(.id) \\(.owner.id)"`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake `gh`: answers from `answers` (by the joined arguments), records every call. */
function fakeGh(answers: Record<string, { code?: number; stdout?: string; stderr?: string }> = {}) {
  const calls: Array<{ args: string; input?: string }> = [];
  const gh: GhRunner = async (args, input) => {
    const key = args.join(" ");
    calls.push({ args: key, ...(input ? { input } : {}) });
    const answer = answers[key] ?? (key === IDS ? { stdout: "456 123\n" } : {});
    return { code: answer.code ?? 0, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" };
  };
  return { gh, calls };
}

describe("planGitHubSetup", () => {
  const plan = planGitHubSetup(loaded, {
    reviewers: { prod: ["alice", "acme/platform-admins"], "prod-infra": ["bob"] },
  });
  const environment = (name: string) => {
    const found = plan.environments.find((e) => e.name === name);
    if (!found) throw new Error(`no ${name}`);
    return found;
  };

  it("two GitHub environments per AWS environment, in promotion order", () => {
    expect(plan.repository).toBe(REPO);
    expect(plan.environments.map((e) => [e.name, e.purpose, e.platformEnvironment])).toEqual([
      ["staging", "release", "staging"],
      ["staging-infra", "infra", "staging"],
      ["prod", "release", "prod"],
      ["prod-infra", "infra", "prod"],
    ]);
  });

  it("releases deploy from main and the release tags; cdk deploy from main only", () => {
    for (const name of ["staging", "prod"]) {
      expect(environment(name).branchPolicies).toEqual([
        { name: "main", type: "branch" },
        // changesets tags @repo/api@1.2.0: File.fnmatch's * does not match /, so the scope is literal
        { name: "@repo/*", type: "tag" },
      ]);
    }
    for (const name of ["staging-infra", "prod-infra"]) {
      expect(environment(name).branchPolicies).toEqual([{ name: "main", type: "branch" }]);
    }
  });

  it("splits the variables: the deploy role only where releases run, the infra role only where cdk deploy runs", () => {
    expect(environment("prod").variables).toEqual({
      AWS_DEPLOY_ROLE_ARN: "arn:aws:iam::222222222222:role/platform-prod-deploy",
      AWS_REGION: "eu-west-1",
    });
    expect(environment("prod-infra").variables).toEqual({
      AWS_INFRA_ROLE_ARN: "arn:aws:iam::222222222222:role/platform-prod-infra",
      AWS_REGION: "eu-west-1",
    });
    expect(environment("staging").variables.AWS_DEPLOY_ROLE_ARN).toBe(
      "arn:aws:iam::111111111111:role/platform-staging-deploy",
    );
    expect(environment("staging-infra").variables).not.toHaveProperty("AWS_DEPLOY_ROLE_ARN");
  });

  it("reviewers only where asked for, with self-review prevented; elsewhere the environment's own stay", () => {
    expect(environment("prod").reviewers).toEqual([
      { type: "User", name: "alice" },
      { type: "Team", name: "acme/platform-admins" },
    ]);
    expect(environmentBody(environment("prod"), (r) => (r.type === "User" ? 1 : 2))).toEqual({
      prevent_self_review: true,
      reviewers: [
        { type: "User", id: 1 },
        { type: "Team", id: 2 },
      ],
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    expect(environmentBody(environment("staging"), () => 0)).toEqual({
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
  });

  it.each([
    [{ qa: ["alice"] }, /Reviewers for "qa".*use one of staging, staging-infra, prod, prod-infra/],
    [{ prod: ["a", "b", "c", "d", "e", "f", "g"] }, /prod has 7 reviewers.*at most 6/],
    [{ prod: ["not a login"] }, /Reviewer "not a login" of GitHub environment prod is neither/],
  ])("refuses reviewers %j", (reviewers, message) => {
    expect(() => planGitHubSetup(loaded, { reviewers })).toThrow(message);
  });

  it("needs the repository in platform.config.json", () => {
    const { github: _, ...platform } = loaded.platform;
    expect(() => planGitHubSetup({ ...loaded, platform })).toThrow(
      /no "github".*npm run setup -- --github <owner>\/<repo>/,
    );
  });
});

describe("renderCommands", () => {
  const plan = planGitHubSetup(loaded, { reviewers: { prod: ["alice", "acme/admins"] } });
  const script = renderCommands(plan);

  it("is a bash script that makes exactly the plan's calls, reviewer ids looked up when it runs", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ci-gh-"));
    dirs.push(dir);
    // A gh that answers the id lookups and records the rest, one JSON line per call.
    const log = path.join(dir, "calls.jsonl");
    const gh = path.join(dir, "gh");
    writeFileSync(
      gh,
      `#!/usr/bin/env node
const args = process.argv.slice(2);
if (args[0] === "api" && args[2] === "--jq" && !args[1].startsWith("repos/")) {
  process.stdout.write(args[1] === "users/alice" ? "101\\n" : "202\\n");
} else {
  let input = "";
  if (args.includes("--input")) input = require("node:fs").readFileSync(0, "utf8");
  require("node:fs").appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, input }) + "\\n");
}
`,
    );
    chmodSync(gh, 0o755);
    writeFileSync(path.join(dir, "setup.sh"), script);
    execFileSync("bash", ["-euo", "pipefail", path.join(dir, "setup.sh")], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    const calls = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { args: string[]; input: string });
    const puts = calls.filter((c) => c.args.includes("PUT"));
    expect(puts.map((c) => c.args[3])).toEqual([
      `repos/${REPO}/environments/staging`,
      `repos/${REPO}/environments/staging-infra`,
      `repos/${REPO}/environments/prod`,
      `repos/${REPO}/environments/prod-infra`,
    ]);
    expect(JSON.parse(puts[2]?.input ?? "")).toEqual({
      prevent_self_review: true,
      reviewers: [
        { type: "User", id: 101 },
        { type: "Team", id: 202 },
      ],
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    const policies = calls
      .filter((c) => c.args.includes("POST"))
      .map((c) => `${c.args[3]?.split("/")[4]} ${c.args.slice(4).join(" ")}`);
    expect(policies).toEqual([
      "staging -f name=main -f type=branch",
      "staging -f name=@repo/* -f type=tag",
      "staging-infra -f name=main -f type=branch",
      "prod -f name=main -f type=branch",
      "prod -f name=@repo/* -f type=tag",
      "prod-infra -f name=main -f type=branch",
    ]);
    const variables = calls
      .filter((c) => c.args[0] === "variable")
      .map((c) => `${c.args[6]} ${c.args[2]}=${c.args[8]}`);
    expect(variables).toContain(
      "prod-infra AWS_INFRA_ROLE_ARN=arn:aws:iam::222222222222:role/platform-prod-infra",
    );
    expect(variables.filter((v) => v.startsWith("prod-infra "))).toEqual([
      "prod-infra AWS_INFRA_ROLE_ARN=arn:aws:iam::222222222222:role/platform-prod-infra",
      "prod-infra AWS_REGION=eu-west-1",
    ]);
    // The last call only reads: the OIDC subject check.
    expect(calls.at(-1)?.args).toEqual([
      "api",
      `repos/${REPO}/actions/oidc/customization/sub`,
      "--jq",
      ".use_default",
    ]);
  });
});

describe("applyPlan", () => {
  const plan = planGitHubSetup(withIds, { reviewers: { "prod-infra": ["acme/admins"] } });
  const policies = (environment: string) =>
    `api --paginate repos/${REPO}/environments/${environment}/deployment-branch-policies --jq .branch_policies[] | "\\(.type // "branch") \\(.name)"`;

  it("creates the environments, adds only the missing policies, sets the variables", async () => {
    const { gh, calls } = fakeGh({
      "api orgs/acme/teams/admins --jq .id": { stdout: "77\n" },
      [policies("staging")]: { stdout: "branch main\ntag @repo/*\n" },
      [policies("prod")]: { stdout: "branch main\n" },
      [`api repos/${REPO}/actions/oidc/customization/sub`]: { stdout: '{"use_default":true}' },
    });
    const report = await applyPlan(plan, gh);
    const posts = calls.filter((c) => c.args.includes("POST")).map((c) => c.args);
    expect(posts).toEqual([
      `api -X POST repos/${REPO}/environments/staging-infra/deployment-branch-policies -f name=main -f type=branch`,
      `api -X POST repos/${REPO}/environments/prod/deployment-branch-policies -f name=@repo/* -f type=tag`,
      `api -X POST repos/${REPO}/environments/prod-infra/deployment-branch-policies -f name=main -f type=branch`,
    ]);
    const prodInfra = calls.find(
      (c) => c.args === `api -X PUT repos/${REPO}/environments/prod-infra --input -`,
    );
    expect(JSON.parse(prodInfra?.input ?? "")).toMatchObject({
      prevent_self_review: true,
      reviewers: [{ type: "Team", id: 77 }],
    });
    expect(calls.filter((c) => c.args.startsWith("variable set"))).toHaveLength(8);
    expect(calls).toContainEqual({
      args: `variable set AWS_DEPLOY_ROLE_ARN --repo ${REPO} --env staging --body arn:aws:iam::111111111111:role/platform-staging-deploy`,
    });
    expect(report.warnings).toEqual([]);
  });

  it("warns of a customized OIDC subject and of deployment policies the platform does not set", async () => {
    const { gh } = fakeGh({
      "api orgs/acme/teams/admins --jq .id": { stdout: "77" },
      [policies("prod")]: { stdout: "branch main\nbranch release/*\n" },
      [`api repos/${REPO}/actions/oidc/customization/sub`]: {
        stdout: '{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}',
      },
    });
    const { warnings } = await applyPlan(plan, gh);
    expect(warnings).toEqual([
      expect.stringMatching(/^prod also allows deployments from branch release\/\*/),
      expect.stringMatching(/customizes its OIDC subject.*-F use_default=true/),
    ]);
  });

  it("refuses ids of another repository before changing anything: the roles would refuse every job", async () => {
    const { gh, calls } = fakeGh({ [IDS]: { stdout: "999 123" } });
    await expect(applyPlan(plan, gh)).rejects.toThrow(
      `platform.config.json's github.repositoryId is "456", and ${REPO}'s is 999: the AWS roles would trust another repository and refuse every job of this one. Fix: set "repositoryId": "999", then \`cdk deploy\` the platform stacks.`,
    );
    expect(calls.map((c) => c.args)).toEqual([IDS]);
  });

  it("without ids in the config, says which to add", async () => {
    const { gh } = fakeGh();
    const { warnings } = await applyPlan(planGitHubSetup(loaded), gh);
    expect(warnings).toEqual([
      expect.stringContaining(
        `Fix: add "ownerId": "123", "repositoryId": "456" to its "github", then \`cdk deploy\` the platform stacks.`,
      ),
    ]);
  });

  it("stops at the first failed gh call, saying what to check", async () => {
    const { gh, calls } = fakeGh({
      [`api -X PUT repos/${REPO}/environments/staging --input -`]: {
        code: 1,
        stderr: "HTTP 403: Must have admin rights to Repository.",
      },
      "api orgs/acme/teams/admins --jq .id": { stdout: "77" },
    });
    await expect(applyPlan(plan, gh)).rejects.toThrow(
      /`gh api -X PUT repos\/example\/platform\/environments\/staging --input -` failed \(exit 1\): HTTP 403: Must have admin rights to Repository\. Fix: check `gh auth status`/,
    );
    expect(calls.filter((c) => c.args.includes("PUT"))).toHaveLength(1);
  });
});

describe("platform-github (the CLI)", () => {
  async function run(argv: string[], gh?: GhRunner) {
    const output = captureOutput();
    const code = await platformGitHubMain(argv, {
      cwd: repoRoot,
      stdout: output.stdout,
      stderr: output.stderr,
      ...(gh ? { gh } : {}),
    });
    return { code, out: output.out, err: output.err };
  }

  it("prints the gh commands and runs nothing by default", async () => {
    const { gh, calls } = fakeGh();
    const result = await run(["--reviewer", "prod=alice"], gh);
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      `gh api -X PUT repos/${REPO}/environments/prod-infra --input - <<JSON`,
    );
    expect(result.out).toContain('"id": $(gh api users/alice --jq .id)');
    expect(calls).toEqual([]);
  });

  it("--apply runs them through gh", async () => {
    const { gh, calls } = fakeGh({ "api users/alice --jq .id": { stdout: "5" } });
    const result = await run(["--apply", "--reviewer", "prod=alice"], gh);
    expect(result.code).toBe(0);
    expect(result.err).toContain("✓ prod: deployments from main, @repo/*; reviewers alice");
    expect(calls.length).toBeGreaterThan(10);
  });

  it.each([
    [["--reviewer", "prod"], /--reviewer "prod" is not <environment>=<login or org\/team>/],
    [["--reviewer", "qa=alice"], /Reviewers for "qa"/],
    [["--nope"], /Unknown option '--nope'/],
  ])("%j is a usage error (exit 2)", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

import type { LoadedPlatform } from "@repo/platform-config/load";
import { awsNames, githubEnvironments, iamRoleArn } from "@repo/platform-config/names";
import { awsEnvironmentNames, resolveEnvironment } from "@repo/platform-config/resolve";

/**
 * The GitHub side of the platform's trust, computed from platform.config.json: for each AWS
 * environment `<env>`, two GitHub environments, because the roles trust the job's GitHub
 * environment (the OIDC `sub` claim names it):
 *
 * - `<env>` runs app releases (deploy.yml). Deployments only from `main` and from the apps'
 *   release tags (changesets' `@repo/<app>@<version>`, a manual run from a tag); it holds
 *   AWS_DEPLOY_ROLE_ARN and AWS_REGION, and no infra role.
 * - `<env>-infra` runs `cdk deploy` (infra-deploy.yml). Deployments only from `main`; it holds
 *   AWS_INFRA_ROLE_ARN and AWS_REGION, and no deploy role.
 *
 * Reviewers (required approvals) are set where asked for, with self-review prevented.
 * `planGitHubSetup` is pure; `renderCommands` prints the plan as `gh` commands and `applyPlan`
 * runs it through an injected `gh` runner, creating only what is missing.
 */
export interface Reviewer {
  type: "User" | "Team";
  /** A user's login, or `org/team-slug` for a team. */
  name: string;
}

export interface BranchPolicy {
  /** A pattern matched with Ruby's File.fnmatch: `*` does not match `/`. */
  name: string;
  type: "branch" | "tag";
}

export interface EnvironmentPlan {
  /** The GitHub environment. */
  name: string;
  /** The platform environment (platform.config.json) it belongs to. */
  platformEnvironment: string;
  /** What runs in it: app releases (deploy.yml) or `cdk deploy` (infra-deploy.yml). */
  purpose: "release" | "infra";
  /** Empty: no approval asked, and reviewers set by hand are left as they are. */
  reviewers: Reviewer[];
  branchPolicies: BranchPolicy[];
  variables: Record<string, string>;
}

export interface GitHubSetupPlan {
  /** `owner/repo` */
  repository: string;
  /**
   * The immutable ids platform.config.json gives (github.ownerId, github.repositoryId): the
   * roles trust them, so `--apply` checks they are this repository's.
   */
  ids: { ownerId?: string; repositoryId?: string };
  environments: EnvironmentPlan[];
}

export interface PlanOptions {
  /**
   * Reviewers per GitHub environment (`prod`, `prod-infra`): a login, or `org/team` for a team.
   * GitHub allows up to 6 per environment.
   */
  reviewers?: Record<string, string[]>;
}

/** The most reviewers GitHub accepts on one environment. */
export const MAX_REVIEWERS = 6;

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
const TEAM = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?\/[A-Za-z0-9._-]{1,100}$/;

export class GitHubSetupError extends Error {
  override name = "GitHubSetupError";
}

/** `alice` is a user, `acme/platform-admins` a team. */
export function parseReviewer(name: string, environment: string): Reviewer {
  if (TEAM.test(name)) return { type: "Team", name };
  if (LOGIN.test(name)) return { type: "User", name };
  throw new GitHubSetupError(
    `Reviewer "${name}" of GitHub environment ${environment} is neither a GitHub login (e.g. alice) nor a team as org/team-slug (e.g. acme/platform-admins).`,
  );
}

/** The release tags' patterns: one per package scope of the apps (changesets tags `@repo/api@1.2.0`). */
function releaseTagPatterns(loaded: Pick<LoadedPlatform, "apps">): string[] {
  const scopes = new Set<string>();
  for (const app of loaded.apps) {
    const scope = /^(@[^/]+)\//.exec(app.packageName)?.[1];
    // An unscoped package is tagged `<name>@<version>`, which one pattern per app matches.
    scopes.add(scope ? `${scope}/*` : `${app.packageName}@*`);
  }
  return [...scopes].sort();
}

export function planGitHubSetup(
  loaded: Pick<LoadedPlatform, "platform" | "apps">,
  options: PlanOptions = {},
): GitHubSetupPlan {
  const { platform } = loaded;
  if (!platform.github) {
    throw new GitHubSetupError(
      'platform.config.json has no "github": the roles trust one repository. Fix: `npm run setup -- --github <owner>/<repo>`, or add "github": { "owner": "...", "repo": "..." }.',
    );
  }
  const aws = awsEnvironmentNames(platform);
  if (!aws.length) {
    throw new GitHubSetupError(
      "platform.config.json has no AWS environment yet: nothing to configure on GitHub. Fix: `npm run setup` (its --environments), then run this again.",
    );
  }
  const tags = releaseTagPatterns(loaded);
  const environments: EnvironmentPlan[] = [];
  for (const name of aws) {
    const resolved = resolveEnvironment(platform, name, {});
    if (resolved.kind !== "aws") continue;
    const names = awsNames(platform.project, name);
    const role = (roleName: string) => iamRoleArn(resolved.account, resolved.region, roleName);
    const github = githubEnvironments(name);
    environments.push(
      {
        name: github.release,
        platformEnvironment: name,
        purpose: "release",
        reviewers: [],
        branchPolicies: [
          { name: "main", type: "branch" },
          ...tags.map((tag) => ({ name: tag, type: "tag" as const })),
        ],
        variables: { AWS_DEPLOY_ROLE_ARN: role(names.deployRole), AWS_REGION: resolved.region },
      },
      {
        name: github.infra,
        platformEnvironment: name,
        purpose: "infra",
        reviewers: [],
        branchPolicies: [{ name: "main", type: "branch" }],
        variables: { AWS_INFRA_ROLE_ARN: role(names.infraRole), AWS_REGION: resolved.region },
      },
    );
  }
  for (const [environment, list] of Object.entries(options.reviewers ?? {})) {
    const target = environments.find((e) => e.name === environment);
    if (!target) {
      throw new GitHubSetupError(
        `Reviewers for "${environment}", which is not one of this platform's GitHub environments: use one of ${environments.map((e) => e.name).join(", ")}.`,
      );
    }
    const unique = [...new Set(list)];
    if (unique.length > MAX_REVIEWERS) {
      throw new GitHubSetupError(
        `GitHub environment ${environment} has ${unique.length} reviewers (${unique.join(", ")}); GitHub accepts at most ${MAX_REVIEWERS}. Fix: name a team (org/team) instead of its members.`,
      );
    }
    target.reviewers = unique.map((name) => parseReviewer(name, environment));
  }
  const { ownerId, repositoryId } = platform.github;
  return {
    repository: `${platform.github.owner}/${platform.github.repo}`,
    ids: { ...(ownerId ? { ownerId } : {}), ...(repositoryId ? { repositoryId } : {}) },
    environments,
  };
}

/** The body of `PUT /repos/{o}/{r}/environments/{name}`, reviewers given as their ids. */
export function environmentBody(
  environment: EnvironmentPlan,
  ids: (reviewer: Reviewer) => number | string,
): Record<string, unknown> {
  return {
    // Reviewers only when asked for: otherwise the ones set by hand stay.
    ...(environment.reviewers.length
      ? {
          prevent_self_review: true,
          reviewers: environment.reviewers.map((r) => ({ type: r.type, id: ids(r) })),
        }
      : {}),
    // Only the branch and tag patterns below may deploy (protected branches would be all of them).
    deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
  };
}

/** `gh api` path of a reviewer's id. */
function reviewerLookup(reviewer: Reviewer): string {
  if (reviewer.type === "User") return `users/${reviewer.name}`;
  const [org, team] = reviewer.name.split("/") as [string, string];
  return `orgs/${org}/teams/${team}`;
}

const shellQuote = (text: string) =>
  /^[A-Za-z0-9_./:@=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The plan as a shell script of `gh` commands (bash or zsh), in order. Reviewer ids are looked
 * up when it runs (`$(gh api users/<login> --jq .id)` inside an unquoted here-document).
 */
export function renderCommands(plan: GitHubSetupPlan): string {
  const repo = plan.repository;
  const lines = [
    `# The GitHub environments of ${repo}: two per AWS environment (releases; cdk deploy).`,
    "# Needs `gh auth login` as a repository admin (a token with repo scope, or Administration,",
    "# Environments and Variables: write). `--apply` runs the same and skips what exists.",
    "",
    `# The ids the roles trust: platform.config.json's github.repositoryId and github.ownerId${plan.ids.repositoryId ? ` (${plan.ids.repositoryId} and ${plan.ids.ownerId ?? "unset"})` : " (unset: add them)"}.`,
    `gh api repos/${repo} --jq '{repositoryId: .id|tostring, ownerId: .owner.id|tostring}'`,
  ];
  for (const environment of plan.environments) {
    const what =
      environment.purpose === "release"
        ? "app releases (deploy.yml)"
        : "cdk deploy (infra-deploy.yml)";
    lines.push("", `# ${environment.name}: ${what}`);
    const body = JSON.stringify(
      environmentBody(environment, (r) => `__ID_${r.type}_${r.name}__`),
      null,
      2,
    ).replace(
      /"__ID_(User|Team)_([^"]+)__"/g,
      (_match, type: string, name: string) =>
        `$(gh api ${reviewerLookup({ type: type as Reviewer["type"], name })} --jq .id)`,
    );
    lines.push(`gh api -X PUT repos/${repo}/environments/${environment.name} --input - <<JSON`);
    lines.push(body, "JSON");
    for (const policy of environment.branchPolicies) {
      lines.push(
        `gh api -X POST repos/${repo}/environments/${environment.name}/deployment-branch-policies -f name=${shellQuote(policy.name)} -f type=${policy.type}`,
      );
    }
    for (const [name, value] of Object.entries(environment.variables)) {
      lines.push(
        `gh variable set ${name} --repo ${repo} --env ${environment.name} --body ${shellQuote(value)}`,
      );
    }
  }
  lines.push(
    "",
    "# The roles trust GitHub's default OIDC subject: this must print true (or a 404: never customized).",
    `gh api repos/${repo}/actions/oidc/customization/sub --jq .use_default`,
    "",
  );
  return lines.join("\n");
}

/**
 * The roles trust the repository's immutable ids when platform.config.json gives them: ids of
 * another repository (a template's, a re-created one) would lock every job out, so they must be
 * this repository's; missing ones are a warning with the values to add.
 */
async function checkRepositoryIds(
  plan: GitHubSetupPlan,
  call: (args: string[]) => Promise<string>,
  report: ApplyReport,
): Promise<void> {
  const answer = (
    await call(["api", `repos/${plan.repository}`, "--jq", '"\\(.id) \\(.owner.id)"'])
  ).trim();
  const [repositoryId, ownerId] = answer.split(/\s+/);
  if (!repositoryId || !ownerId || !/^\d+$/.test(repositoryId) || !/^\d+$/.test(ownerId)) {
    throw new GitHubSetupError(`GitHub answered "${answer}" for the ids of ${plan.repository}.`);
  }
  for (const [field, configured, actual] of [
    ["repositoryId", plan.ids.repositoryId, repositoryId],
    ["ownerId", plan.ids.ownerId, ownerId],
  ] as const) {
    if (configured !== undefined && configured !== actual) {
      throw new GitHubSetupError(
        `platform.config.json's github.${field} is "${configured}", and ${plan.repository}'s is ${actual}: the AWS roles would trust another repository and refuse every job of this one. Fix: set "${field}": "${actual}", then \`cdk deploy\` the platform stacks.`,
      );
    }
  }
  if (plan.ids.repositoryId === undefined || plan.ids.ownerId === undefined) {
    report.warnings.push(
      `platform.config.json names ${plan.repository} without its immutable ids, so the roles trust its name only (a repository re-created under that name would be trusted too). Fix: add "ownerId": "${ownerId}", "repositoryId": "${repositoryId}" to its "github", then \`cdk deploy\` the platform stacks.`,
    );
  }
}

/** Runs `gh` with these arguments (and this standard input); injectable for tests. */
export type GhRunner = (
  args: string[],
  input?: string,
) => Promise<{ code: number; stdout: string; stderr: string }>;

export interface ApplyReport {
  /** One line per change made or found in place. */
  lines: string[];
  /** Things to look at; the setup itself succeeded. */
  warnings: string[];
}

/**
 * Creates or updates every environment of the plan: the environment (branch policy mode and
 * reviewers), the deployment branch and tag policies that are missing (existing ones are kept),
 * and the variables. Stops at the first `gh` failure, with its message.
 */
export async function applyPlan(plan: GitHubSetupPlan, gh: GhRunner): Promise<ApplyReport> {
  const repo = plan.repository;
  const report: ApplyReport = { lines: [], warnings: [] };
  const call = async (args: string[], input?: string) => {
    const result = await gh(args, input);
    if (result.code !== 0) {
      throw new GitHubSetupError(
        `\`gh ${args.join(" ")}\` failed (exit ${result.code}): ${(result.stderr.trim() || result.stdout.trim()).replace(/\.$/, "")}. Fix: check \`gh auth status\` (a repository admin, with repo scope) and that ${repo} is the repository of platform.config.json's "github".`,
      );
    }
    return result.stdout;
  };
  await checkRepositoryIds(plan, call, report);
  const ids = new Map<string, string>();
  for (const environment of plan.environments) {
    for (const reviewer of environment.reviewers) {
      if (ids.has(reviewer.name)) continue;
      const id = (await call(["api", reviewerLookup(reviewer), "--jq", ".id"])).trim();
      if (!/^\d+$/.test(id)) {
        throw new GitHubSetupError(
          `GitHub answered "${id}" for the id of ${reviewer.type === "User" ? "user" : "team"} ${reviewer.name}: is the name right?`,
        );
      }
      ids.set(reviewer.name, id);
    }
  }
  for (const environment of plan.environments) {
    const base = `repos/${repo}/environments/${environment.name}`;
    const body = environmentBody(environment, (r) => Number(ids.get(r.name)));
    await call(["api", "-X", "PUT", base, "--input", "-"], JSON.stringify(body));
    report.lines.push(
      `${environment.name}: deployments from ${environment.branchPolicies.map((p) => p.name).join(", ")}${environment.reviewers.length ? `; reviewers ${environment.reviewers.map((r) => r.name).join(", ")}` : ""}`,
    );
    const existing = new Set(
      (
        await call([
          "api",
          "--paginate",
          `${base}/deployment-branch-policies`,
          "--jq",
          '.branch_policies[] | "\\(.type // "branch") \\(.name)"',
        ])
      )
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    );
    for (const policy of environment.branchPolicies) {
      if (existing.has(`${policy.type} ${policy.name}`)) continue;
      await call([
        "api",
        "-X",
        "POST",
        `${base}/deployment-branch-policies`,
        "-f",
        `name=${policy.name}`,
        "-f",
        `type=${policy.type}`,
      ]);
      report.lines.push(`${environment.name}: added ${policy.type} ${policy.name}`);
    }
    const wanted = new Set(environment.branchPolicies.map((p) => `${p.type} ${p.name}`));
    for (const stray of [...existing].filter((p) => !wanted.has(p))) {
      report.warnings.push(
        `${environment.name} also allows deployments from ${stray}, which this platform does not need: remove it in Settings → Environments → ${environment.name} unless you want it.`,
      );
    }
    for (const [name, value] of Object.entries(environment.variables)) {
      await call([
        "variable",
        "set",
        name,
        "--repo",
        repo,
        "--env",
        environment.name,
        "--body",
        value,
      ]);
    }
    report.lines.push(`${environment.name}: ${Object.keys(environment.variables).join(", ")} set`);
  }
  const subject = await gh(["api", `repos/${repo}/actions/oidc/customization/sub`]);
  if (subject.code === 0) {
    const parsed = JSON.parse(subject.stdout || "{}") as { use_default?: boolean };
    if (parsed.use_default === false) {
      report.warnings.push(
        `${repo} customizes its OIDC subject (${subject.stdout.trim()}), and the AWS roles trust GitHub's default one (repo:<owner>/<repo>:environment:<name>): no job could assume them. Fix, unless something else needs the custom subject: \`gh api -X PUT repos/${repo}/actions/oidc/customization/sub -F use_default=true\`.`,
      );
    }
  } else if (!/404|Not Found/i.test(subject.stderr)) {
    report.warnings.push(
      `Could not read ${repo}'s OIDC subject customization (${subject.stderr.trim()}): check that \`gh api repos/${repo}/actions/oidc/customization/sub --jq .use_default\` prints true.`,
    );
  }
  return report;
}

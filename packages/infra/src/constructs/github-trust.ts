import * as iam from "aws-cdk-lib/aws-iam";

/** GitHub Actions' OIDC issuer. */
export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
/** The audience the official aws-actions/configure-aws-credentials action asks tokens for. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";
/** The prefix of the condition keys of GitHub's claims in a trust policy. */
export const GITHUB_CLAIM = "token.actions.githubusercontent.com";

/** The repository whose workflows a role trusts. */
export interface GitHubIdentity {
  readonly owner: string;
  readonly repo: string;
  /**
   * The owner's immutable numeric id (`gh api repos/<owner>/<repo> --jq .owner.id`).
   *
   * @default - unknown: the immutable `sub` format is matched with a wildcard in its place
   */
  readonly ownerId?: string;
  /**
   * The repository's immutable numeric id (`gh api repos/<owner>/<repo> --jq .id`).
   *
   * @default - unknown: no `repository_id` condition, and a wildcard in the immutable `sub`
   */
  readonly repositoryId?: string;
}

/** Which jobs of the repository, by the context part of their `sub` claim. */
export type GitHubJobContext =
  /** Jobs that run in this GitHub environment (`environment:` in the workflow). */
  | { readonly environment: string }
  /** Jobs of a `pull_request` event that run in no GitHub environment. */
  | { readonly event: "pull_request" };

export interface GitHubTrustOptions {
  readonly context: GitHubJobContext;
  /**
   * The reusable workflow that holds the job, a file of `.github/workflows`: every job that
   * assumes a role here runs inside one, so GitHub sets `job_workflow_ref` to this file at the
   * caller's ref.
   */
  readonly workflowFile: string;
  /** The refs that workflow may run from, IAM wildcards allowed: `refs/heads/main`, `refs/pull/*\/merge`. */
  readonly refs: readonly string[];
  /**
   * Whether STS can check GitHub's own claims (`job_workflow_ref`, `repository_id`) as condition
   * keys. AWS added them in January 2026 in the commercial partition only
   * ("AWS STS supports validation of identity provider claims"); an unsupported key would make
   * the role unusable. See supportsGitHubClaimKeys.
   */
  readonly claimKeys: boolean;
}

/** The git refs of the workflows that assume each role (see the README's "Security model"). */
export const GITHUB_REFS = {
  /** App releases: pushes to main, and runs by hand from a changesets release tag (`@repo/api@0.2.0`). */
  release: ["refs/heads/main", "refs/tags/@repo/*"],
  /** `cdk deploy`: main only. */
  infra: ["refs/heads/main"],
  /** `cdk diff`: the merge ref of a pull request of this repository. */
  diff: ["refs/pull/*/merge"],
} as const;

/** The reusable workflows (in `.github/workflows`) whose jobs assume each role. */
export const GITHUB_WORKFLOW_FILES = {
  release: "deploy.yml",
  infra: "infra-deploy.yml",
  diff: "infra-diff.yml",
} as const;

/** Whether STS supports GitHub's claims as condition keys in `partition`: `aws` only, for now. */
export function supportsGitHubClaimKeys(partition: string): boolean {
  return partition === "aws";
}

/**
 * The `sub` values a job of `context` may present. Both formats GitHub uses: the classic
 * `repo:O/R:<context>` and the immutable `repo:O@<ownerId>/R@<repoId>:<context>`, the default of
 * repositories created, renamed or transferred after July 15, 2026 (GitHub's "Immutable subject
 * claims"). Without the ids the immutable format is matched with `*` for each id: no looser than
 * the classic format, which names the repository only.
 */
export function githubSubjects(identity: GitHubIdentity, context: GitHubJobContext): string[] {
  const suffix = "environment" in context ? `environment:${context.environment}` : context.event;
  const owner = `${identity.owner}@${identity.ownerId ?? "*"}`;
  const repo = `${identity.repo}@${identity.repositoryId ?? "*"}`;
  return [`repo:${identity.owner}/${identity.repo}:${suffix}`, `repo:${owner}/${repo}:${suffix}`];
}

/** The Condition block of a GitHub trust (see githubTrust). */
export function githubTrustConditions(
  identity: GitHubIdentity,
  options: GitHubTrustOptions,
): Record<string, Record<string, string | string[]>> {
  const equals: Record<string, string | string[]> = {
    [`${GITHUB_CLAIM}:aud`]: GITHUB_OIDC_AUDIENCE,
  };
  const like: Record<string, string | string[]> = {};
  const notLike: Record<string, string | string[]> = {};
  const subjects = githubSubjects(identity, options.context);
  // Operators are ANDed, so all values of one key sit under one operator. StringLike only when a
  // value holds a wildcard; a value without one matches exactly there too (names hold no `*`/`?`).
  if (subjects.some(hasWildcard)) {
    like[`${GITHUB_CLAIM}:sub`] = subjects;
    // `*` also matches `/` and `:`: another repository of the same owner with a GitHub
    // environment named like `x/<repo>@1:environment:<env>` would match the id wildcards. A
    // `sub` of this repository holds exactly one `/` (owner and repository names and the
    // platform's environment names hold none), so refuse any with two.
    notLike[`${GITHUB_CLAIM}:sub`] = "*/*/*";
  } else {
    equals[`${GITHUB_CLAIM}:sub`] = subjects;
  }
  if (options.claimKeys) {
    if (identity.repositoryId !== undefined) {
      // Survives a rename, and a repository re-created under the old name has another id.
      equals[`${GITHUB_CLAIM}:repository_id`] = identity.repositoryId;
    }
    const workflow = `${identity.owner}/${identity.repo}/.github/workflows/${options.workflowFile}`;
    const refs = options.refs.map((ref) => `${workflow}@${ref}`);
    (refs.some(hasWildcard) ? like : equals)[`${GITHUB_CLAIM}:job_workflow_ref`] = single(refs);
  }
  return {
    StringEquals: equals,
    ...(Object.keys(like).length > 0 ? { StringLike: like } : {}),
    ...(Object.keys(notLike).length > 0 ? { StringNotLike: notLike } : {}),
  };
}

/**
 * Who may assume a role: GitHub Actions jobs of one repository whose OIDC token, minted for STS,
 * names the given context in `sub` and, where STS checks GitHub's claims, runs in the given
 * reusable workflow at one of the given refs, in the repository with the configured id. Never
 * `ForAllValues:` (true when a claim is absent) and never a wildcard beyond the unknown ids and
 * the refs.
 */
export function githubTrust(
  oidcProviderArn: string,
  identity: GitHubIdentity,
  options: GitHubTrustOptions,
): iam.WebIdentityPrincipal {
  return new iam.WebIdentityPrincipal(oidcProviderArn, githubTrustConditions(identity, options));
}

function hasWildcard(value: string): boolean {
  return /[*?]/.test(value);
}

function single(values: string[]): string | string[] {
  return values.length === 1 ? (values[0] as string) : values;
}

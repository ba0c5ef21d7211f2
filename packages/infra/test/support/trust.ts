/**
 * A small evaluator of a role's trust policy against a GitHub OIDC token, with IAM's semantics for
 * what the platform's trusts use, so that tests ask "may this job assume that role?" instead of
 * comparing condition blocks:
 * - an Allow statement matches when its action is sts:AssumeRoleWithWebIdentity, its federated
 *   principal is the provider, and every condition operator holds (operators and keys are ANDed,
 *   the values of one key ORed);
 * - `StringEquals` compares exactly (case-sensitive); `StringLike` matches IAM globs, `*` any run
 *   of characters (`/` and `:` included) and `?` one character;
 * - `StringNotLike` holds when no pattern matches;
 * - a key whose claim is absent from the token fails the condition (no `...IfExists`), except
 *   under a negated operator, which then holds, as in IAM;
 * - a matching Deny statement wins.
 * Any other operator, or a policy variable, throws: the evaluator must not guess.
 */

/** Claims of a GitHub Actions OIDC token: `sub`, `aud`, `job_workflow_ref`, `repository_id`... */
export type GitHubClaims = Readonly<Record<string, string>>;

interface TrustStatement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Principal?: { Federated?: unknown };
  Condition?: Record<string, Record<string, string | string[]>>;
}

const CLAIM_PREFIX = "token.actions.githubusercontent.com:";

/** Whether `document` lets a token with `claims`, from the provider `providerArn`, assume the role. */
export function trustAllows(
  document: { Statement: TrustStatement[] },
  claims: GitHubClaims,
  providerArn?: unknown,
): boolean {
  const applies = (statement: TrustStatement) =>
    [statement.Action].flat().includes("sts:AssumeRoleWithWebIdentity") &&
    (providerArn === undefined ||
      JSON.stringify(statement.Principal?.Federated) === JSON.stringify(providerArn)) &&
    conditionsHold(statement.Condition ?? {}, claims);
  const matching = document.Statement.filter(applies);
  if (matching.some((statement) => statement.Effect === "Deny")) return false;
  return matching.some((statement) => statement.Effect === "Allow");
}

function conditionsHold(
  conditions: Record<string, Record<string, string | string[]>>,
  claims: GitHubClaims,
): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      if (!key.startsWith(CLAIM_PREFIX)) throw new Error(`unsupported condition key ${key}`);
      const actual = claims[key.slice(CLAIM_PREFIX.length)];
      const values = [expected].flat();
      for (const value of values) {
        if (typeof value !== "string" || value.includes("${")) {
          throw new Error(`unsupported condition value ${JSON.stringify(value)} of ${key}`);
        }
      }
      switch (operator) {
        case "StringEquals":
          return actual !== undefined && values.includes(actual);
        case "StringLike":
          return actual !== undefined && values.some((pattern) => globMatches(pattern, actual));
        case "StringNotLike":
          // A negated operator holds when the key is absent.
          return actual === undefined || !values.some((pattern) => globMatches(pattern, actual));
        default:
          throw new Error(`unsupported condition operator ${operator}`);
      }
    }),
  );
}

/** IAM's StringLike: `*` any run of characters, `?` exactly one, everything else literal. */
export function globMatches(pattern: string, value: string): boolean {
  const source = [...pattern]
    .map((char) =>
      char === "*" ? ".*" : char === "?" ? "." : char.replace(/[\\^$.|+()[\]{}]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`, "s").test(value);
}

/** Claims of a job, shaped like GitHub's example tokens (github/docs, "OIDC token claims"). */
export interface JobClaimsOptions {
  owner: string;
  repo: string;
  ownerId: string;
  repositoryId: string;
  /** The job's GitHub environment; none for a pull-request job. */
  environment?: string;
  event: "push" | "pull_request" | "workflow_dispatch";
  /** The caller's ref: `refs/heads/main`, `refs/pull/7/merge`, `refs/tags/@repo/api@0.2.0`. */
  ref: string;
  /** The reusable workflow holding the job, e.g. `deploy.yml`. */
  workflowFile: string;
  /** Whether `sub` is in the immutable format (owner and repository ids in it). */
  immutableSubject?: boolean;
}

/** The claims GitHub puts in a job's token, for `trustAllows`. */
export function jobClaims(options: JobClaimsOptions): GitHubClaims {
  const repository = `${options.owner}/${options.repo}`;
  const subjectRepo = options.immutableSubject
    ? `${options.owner}@${options.ownerId}/${options.repo}@${options.repositoryId}`
    : repository;
  const context =
    options.environment !== undefined
      ? `environment:${options.environment}`
      : options.event === "pull_request"
        ? "pull_request"
        : `ref:${options.ref}`;
  return {
    aud: "sts.amazonaws.com",
    iss: "https://token.actions.githubusercontent.com",
    sub: `repo:${subjectRepo}:${context}`,
    repository,
    repository_id: options.repositoryId,
    repository_owner: options.owner,
    repository_owner_id: options.ownerId,
    event_name: options.event,
    ref: options.ref,
    job_workflow_ref: `${repository}/.github/workflows/${options.workflowFile}@${options.ref}`,
    ...(options.environment === undefined ? {} : { environment: options.environment }),
  };
}

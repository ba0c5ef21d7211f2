import {
  awsAccountSchema,
  awsRegionSchema,
  domainSchema,
  ENVIRONMENT_NAME,
  ENVIRONMENT_NAME_FIX,
  githubOwnerSchema,
  githubRepoSchema,
  hostedZoneIdSchema,
  projectSchema,
} from "@repo/platform-config/schema";
import type { z } from "zod";

/** Per-environment values that differ from the platform-wide answers. */
export interface EnvironmentOverride {
  account?: string;
  region?: string;
  hostedZoneId?: string;
  /** Apps of this environment live at `<subdomain>.<domain>`. */
  domain?: string;
}

/** Everything `npm run setup` asks, validated. */
export interface SetupAnswers {
  project: string;
  /** The production domain: the last environment serves `<subdomain>.<domain>`, every other one `<subdomain>.<env>.<domain>`. */
  domain: string;
  /** The Route 53 hosted zone of `domain`, which also holds the records of `<env>.<domain>`. */
  hostedZoneId: string;
  account: string;
  region: string;
  /** The AWS environments in promotion order (`local` is built in and never listed). */
  environments: string[];
  overrides: Record<string, EnvironmentOverride>;
  github: { owner: string; repo: string };
}

/** The answers as the user wrote them, each optional: flags, prompts or the current config. */
export interface RawAnswers {
  project?: string;
  domain?: string;
  hostedZoneId?: string;
  account?: string;
  region?: string;
  environments?: string | string[];
  overrides?: Record<string, Partial<Record<keyof EnvironmentOverride, string>>>;
  github?: string;
}

/** One answer that does not validate: the field (as its flag), the value, what is wrong, the fix. */
export interface AnswerProblem {
  field: string;
  value: unknown;
  message: string;
  fix: string;
}

export class AnswersError extends Error {
  override name = "AnswersError";
  constructor(readonly problems: AnswerProblem[]) {
    super(problems.map(formatAnswerProblem).join("\n"));
  }
}

export function formatAnswerProblem(problem: AnswerProblem): string {
  const shown = problem.value === undefined ? "(missing)" : JSON.stringify(problem.value);
  return `${problem.field} = ${shown}: ${problem.message}. Fix: ${problem.fix}`;
}

/** The flag each answer comes from, so that messages name what to pass. */
export const FLAGS = {
  project: "--project",
  domain: "--domain",
  hostedZoneId: "--hosted-zone-id",
  account: "--account",
  region: "--region",
  environments: "--environments",
  github: "--github",
} as const satisfies Record<Exclude<keyof RawAnswers, "overrides">, string>;

export const OVERRIDE_FLAGS = {
  account: "--env-account",
  region: "--env-region",
  hostedZoneId: "--env-hosted-zone-id",
  domain: "--env-domain",
} as const satisfies Record<keyof EnvironmentOverride, string>;

type Result<T> = { ok: true; value: T } | { ok: false; problem: AnswerProblem };

function check<T>(schema: z.ZodType<T>, field: string, value: string, what: string): Result<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const message = issue?.code === "too_big" ? `is too long for ${what}` : `is not ${what}`;
  return {
    ok: false,
    problem: { field, value, message, fix: `use ${schema.description ?? `a valid ${what}`}` },
  };
}

/** The project name: CloudFormation stacks, containers and ECR repositories start with it. */
export function validateProject(value: string, field: string = FLAGS.project): Result<string> {
  return check(projectSchema, field, value.trim(), "a valid project name");
}

/**
 * The domain, forgiving what people paste: upper case and the trailing dot the Route 53 console
 * shows ("Example.com." is example.com).
 */
export function validateDomain(value: string, field: string = FLAGS.domain): Result<string> {
  const domain = value.trim().toLowerCase().replace(/\.$/, "");
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(domain) || domain.includes("/")) {
    return {
      ok: false,
      problem: {
        field,
        value,
        message: "is a URL, not a domain",
        fix: `use the domain alone, without scheme or path, for example "${hostOf(domain) ?? "example.com"}"`,
      },
    };
  }
  if (domain.startsWith("*.")) {
    return {
      ok: false,
      problem: {
        field,
        value,
        message: "is a wildcard",
        fix: `use the domain itself, "${domain.slice(2)}": the platform makes the wildcard certificate`,
      },
    };
  }
  return check(
    domainSchema,
    field,
    domain,
    "a domain name (labels of a-z, 0-9 and -, joined by dots)",
  );
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** A Route 53 hosted zone id; the "/hostedzone/" prefix the API returns is accepted and dropped. */
export function validateHostedZoneId(
  value: string,
  field: string = FLAGS.hostedZoneId,
): Result<string> {
  const id = value.trim().replace(/^\/?hostedzone\//, "");
  if (/^z[a-z0-9]+$/i.test(id) && id !== id.toUpperCase()) {
    return {
      ok: false,
      problem: {
        field,
        value,
        message: "has lower-case letters, and hosted zone ids are upper case",
        fix: `use "${id.toUpperCase()}" if that is the id the Route 53 console shows`,
      },
    };
  }
  return check(hostedZoneIdSchema, field, id, "a Route 53 hosted zone id");
}

/** An AWS account id: 12 digits, as a string (a leading 0 is part of it). */
export function validateAccount(value: string, field: string = FLAGS.account): Result<string> {
  const account = value.trim().replace(/[\s-]/g, "");
  if (/^\d+$/.test(account) && account.length !== 12) {
    return {
      ok: false,
      problem: {
        field,
        value,
        message: `has ${account.length} digit${account.length === 1 ? "" : "s"}, and an AWS account id has 12`,
        fix: "copy the 12-digit id from the AWS console's account menu (leading zeros included)",
      },
    };
  }
  return check(awsAccountSchema, field, account, "an AWS account id");
}

/** An AWS region code such as eu-west-1 (not a name such as "Europe (Ireland)" or a zone). */
export function validateRegion(value: string, field: string = FLAGS.region): Result<string> {
  const region = value.trim().toLowerCase();
  const zone = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})[a-z]$/.exec(region);
  if (zone) {
    return {
      ok: false,
      problem: {
        field,
        value,
        message: "is an availability zone, not a region",
        fix: `use its region, "${zone[1]}"`,
      },
    };
  }
  return check(awsRegionSchema, field, region, "an AWS region code");
}

/** The AWS environments in promotion order, comma-separated or a list. */
export function validateEnvironments(
  value: string | readonly string[],
  field: string = FLAGS.environments,
): Result<string[]> {
  const names = (typeof value === "string" ? value.split(",") : [...value])
    .map((name) => name.trim())
    .filter(Boolean);
  const fail = (message: string, fix: string): Result<string[]> => ({
    ok: false,
    problem: { field, value, message, fix },
  });
  if (names.length === 0) {
    return fail(
      "names no AWS environment",
      'list at least one, in promotion order, for example "staging,prod" (local is built in)',
    );
  }
  for (const name of names) {
    if (name === "local") {
      return fail(
        'lists "local", which is built in',
        `leave it out: ${names.filter((other) => other !== "local").join(",") || "staging,prod"}`,
      );
    }
    if (!ENVIRONMENT_NAME.test(name)) {
      return fail(`has "${name}", which is not a valid environment name`, ENVIRONMENT_NAME_FIX);
    }
  }
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) return fail(`lists "${duplicate}" twice`, "name each environment once");
  return { ok: true, value: names };
}

/** The GitHub repository as owner/repo; a pasted URL or `git@github.com:` remote is accepted. */
export function validateGithub(
  value: string,
  field: string = FLAGS.github,
): Result<{ owner: string; repo: string }> {
  const text = value
    .trim()
    .replace(/^(?:https?:\/\/|ssh:\/\/)?(?:git@)?github\.com[:/]/, "")
    .replace(/\.git$/, "")
    .replace(/\/$/, "");
  const parts = text.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return {
      ok: false,
      problem: {
        field,
        value,
        message: "is not owner/repo",
        fix: 'use the repository as owner/repo, for example "acme/platform"',
      },
    };
  }
  const owner = check(githubOwnerSchema, field, parts[0], "a GitHub user or organization name");
  if (!owner.ok) return owner;
  const repo = check(githubRepoSchema, field, parts[1], "a GitHub repository name");
  if (!repo.ok) return repo;
  return { ok: true, value: { owner: owner.value, repo: repo.value } };
}

const OVERRIDE_VALIDATORS: Record<
  keyof EnvironmentOverride,
  (value: string, field: string) => Result<string>
> = {
  account: validateAccount,
  region: validateRegion,
  hostedZoneId: validateHostedZoneId,
  domain: validateDomain,
};

/**
 * Validates every answer at once. Missing answers are problems too, each naming its flag; all
 * problems are thrown together as one AnswersError.
 */
export function validateAnswers(raw: RawAnswers): SetupAnswers {
  const problems: AnswerProblem[] = [];
  const take = <T>(
    key: keyof typeof FLAGS,
    validator: (value: string, field: string) => Result<T>,
    what: string,
  ): T | undefined => {
    const value = raw[key];
    if (value === undefined || (typeof value === "string" && value.trim() === "")) {
      problems.push({
        field: FLAGS[key],
        value: undefined,
        message: "is required",
        fix: `pass ${FLAGS[key]} <${what}> (or run without --yes to be asked)`,
      });
      return undefined;
    }
    const result = validator(value as string, FLAGS[key]);
    if (result.ok) return result.value;
    problems.push(result.problem);
    return undefined;
  };

  const project = take("project", validateProject, "name");
  const domain = take("domain", validateDomain, "domain");
  const hostedZoneId = take("hostedZoneId", validateHostedZoneId, "Z...");
  const account = take("account", validateAccount, "12 digits");
  const region = take("region", validateRegion, "region");
  const github = take("github", validateGithub, "owner/repo");

  let environments: string[] | undefined;
  if (raw.environments === undefined || raw.environments.length === 0) {
    problems.push({
      field: FLAGS.environments,
      value: undefined,
      message: "is required",
      fix: "pass --environments staging,prod (the AWS environments in promotion order)",
    });
  } else {
    const result = validateEnvironments(raw.environments);
    if (result.ok) environments = result.value;
    else problems.push(result.problem);
  }

  const overrides: Record<string, EnvironmentOverride> = {};
  for (const [env, values] of Object.entries(raw.overrides ?? {})) {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const flag = OVERRIDE_FLAGS[key as keyof EnvironmentOverride];
      const field = `${flag} ${env}`;
      if (environments && !environments.includes(env)) {
        problems.push({
          field,
          value,
          message: `is for environment "${env}", which is not in --environments (${environments.join(",")})`,
          fix: `add ${env} to --environments, or drop ${flag} ${env}=${value}`,
        });
        continue;
      }
      const result = OVERRIDE_VALIDATORS[key as keyof EnvironmentOverride](value, field);
      if (!result.ok) {
        problems.push(result.problem);
        continue;
      }
      overrides[env] = { ...overrides[env], [key]: result.value };
    }
  }

  if (
    problems.length > 0 ||
    project === undefined ||
    domain === undefined ||
    hostedZoneId === undefined ||
    account === undefined ||
    region === undefined ||
    github === undefined ||
    environments === undefined
  ) {
    throw new AnswersError(problems);
  }
  return { project, domain, hostedZoneId, account, region, environments, overrides, github };
}

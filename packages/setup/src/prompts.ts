import { confirm, input } from "@inquirer/prompts";
import {
  formatAnswerProblem,
  type RawAnswers,
  validateAccount,
  validateDomain,
  validateEnvironments,
  validateGithub,
  validateHostedZoneId,
  validateProject,
  validateRegion,
} from "./answers.js";
import type { AskContext, AskResult } from "./main.js";

type Validator = (
  value: string,
  field: string,
) => { ok: true } | { ok: false; problem: Parameters<typeof formatAnswerProblem>[0] };

/** An inquirer validate function that shows the same message as the flag would get. */
function validating(validator: Validator, field: string) {
  return (value: string) => {
    const result = validator(value, field);
    return result.ok || formatAnswerProblem(result.problem);
  };
}

function text(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : String(value);
}

async function ask(
  message: string,
  field: string,
  validator: Validator,
  fallback: unknown,
): Promise<string> {
  const answer = await input({
    message,
    ...(text(fallback) === undefined ? {} : { default: text(fallback) }),
    validate: validating(validator, field),
  });
  return answer.trim();
}

/** The interactive flow of `npm run setup`: one question per answer, the current config as defaults. */
export async function askAnswers(defaults: RawAnswers, context: AskContext): Promise<AskResult> {
  const answers: RawAnswers = {};
  answers.project = await ask(
    "Project name (starts every stack, container and ECR repository name)",
    "project",
    validateProject,
    defaults.project,
  );
  answers.domain = await ask(
    "Domain (production apps at <app>.<domain>, other environments at <app>.<env>.<domain>)",
    "domain",
    validateDomain,
    defaults.domain,
  );
  answers.hostedZoneId = await ask(
    "Route 53 hosted zone id of that domain (Z...)",
    "hosted zone id",
    validateHostedZoneId,
    defaults.hostedZoneId,
  );
  answers.account = await ask(
    "AWS account id (12 digits)",
    "account",
    validateAccount,
    defaults.account,
  );
  answers.region = await ask("AWS region", "region", validateRegion, defaults.region);
  answers.environments = await ask(
    "AWS environments, in promotion order (local is built in)",
    "environments",
    validateEnvironments,
    defaults.environments ?? "staging,prod",
  );
  const environments = answers.environments
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  // An environment's own account, region or zone stays the default only while the platform-wide
  // answer it differs from is unchanged (the template's staging account must not outlive a new
  // --account), as with flags.
  const kept: NonNullable<RawAnswers["overrides"]> = {};
  for (const [env, values] of Object.entries(defaults.overrides ?? {})) {
    if (!environments.includes(env)) continue;
    for (const [key, value] of Object.entries(values)) {
      const field = key as keyof typeof values;
      if (field !== "domain" && answers[field] !== defaults[field]) continue;
      kept[env] = { ...kept[env], [field]: value };
    }
  }
  const overrides: NonNullable<RawAnswers["overrides"]> = {};
  const separate = await confirm({
    message: "Does any environment use another account, region or hosted zone?",
    default: Object.values(kept).some(
      (values) => values.account ?? values.region ?? values.hostedZoneId,
    ),
  });
  if (separate) {
    for (const env of environments) {
      const current = kept[env] ?? {};
      const account = await ask(
        `${env}: AWS account id`,
        `${env} account`,
        validateAccount,
        current.account ?? answers.account,
      );
      const region = await ask(
        `${env}: AWS region`,
        `${env} region`,
        validateRegion,
        current.region ?? answers.region,
      );
      const zone = await ask(
        `${env}: hosted zone id`,
        `${env} hosted zone id`,
        validateHostedZoneId,
        current.hostedZoneId ?? answers.hostedZoneId,
      );
      const override: Record<string, string> = {};
      if (account !== answers.account) override.account = account;
      if (region !== answers.region) override.region = region;
      if (zone !== answers.hostedZoneId) override.hostedZoneId = zone;
      if (current.domain) override.domain = current.domain;
      if (Object.keys(override).length > 0) overrides[env] = override;
    }
  } else {
    for (const [env, values] of Object.entries(kept)) {
      if (values.domain) overrides[env] = { domain: values.domain };
    }
  }
  if (Object.keys(overrides).length > 0) answers.overrides = overrides;
  answers.github = await ask(
    "GitHub repository, owner/repo (its workflows get the deploy role)",
    "github",
    validateGithub,
    defaults.github,
  );
  let removeSamples = context.removeSamples;
  if (context.samples.length > 0 && !removeSamples) {
    removeSamples = await confirm({
      message: `Remove the sample apps (${context.samples.map((app) => `apps/${app}`).join(", ")})?`,
      default: false,
    });
  }
  return {
    answers,
    removeSamples,
    confirm: () => confirm({ message: "Apply these changes?", default: true }),
  };
}

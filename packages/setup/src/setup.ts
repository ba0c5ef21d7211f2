import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "@repo/platform-config/errors";
import { PLATFORM_CONFIG_FILE as CONFIG_FILE } from "@repo/platform-config/load";
import { githubOidcProviderArn } from "@repo/platform-config/names";
import {
  type AnswerProblem,
  AnswersError,
  type EnvironmentOverride,
  FLAGS,
  OVERRIDE_FLAGS,
  type RawAnswers,
  type SetupAnswers,
  validateAnswers,
} from "./answers.js";
import { isDirectory, workspaceDirs } from "./workspaces.js";

export type { RawAnswers, SetupAnswers };
export { AnswersError, validateAnswers };

/** The sample apps the template ships; `--remove-samples` deletes them and what lists them. */
export const SAMPLE_APPS = ["api", "web"] as const;

const ENV_FIELDS = ["account", "region", "domain", "hostedZoneId"] as const;

// biome-ignore lint/suspicious/noExplicitAny: JSON files of any shape, checked where they are used
type Json = any;

/** `file` (relative to `root`) parsed; malformed JSON is a ConfigError that names the file. */
function readJson(root: string, file: string): Json {
  const text = readFileSync(path.join(root, file), "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      {
        file,
        field: "(file)",
        value: (error as Error).message,
        message: "is not valid JSON",
        fix: "correct it (JSON has no comments or trailing commas, and keys and strings use double quotes), then run npm run setup again",
      },
    ]);
  }
}

/** JSON as npm, JSON.stringify and this repository's files write it: 2 spaces, final newline. */
function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The repository's AWS environments from its platform config, in file order. */
function awsEnvironmentNames(config: Json): string[] {
  return Object.keys(config.environments ?? {}).filter((name) => name !== "local");
}

/**
 * The answers that reproduce the current platform.config.json: the defaults of every prompt and
 * of `--yes`. The last environment is production: its account, region and hosted zone are the
 * platform-wide answers, and what another environment does differently is an override.
 */
export function currentAnswers(root: string): RawAnswers {
  if (!existsSync(path.join(root, CONFIG_FILE))) return {};
  const config = readJson(root, CONFIG_FILE);
  const names = awsEnvironmentNames(config);
  const production = names.at(-1);
  const base = production ? config.environments[production] : {};
  const answers: RawAnswers = {};
  if (typeof config.project === "string") answers.project = config.project;
  if (typeof config.domain === "string") answers.domain = config.domain;
  if (typeof base.hostedZoneId === "string") answers.hostedZoneId = base.hostedZoneId;
  if (typeof base.account === "string") answers.account = base.account;
  if (typeof base.region === "string") answers.region = base.region;
  if (names.length > 0) answers.environments = names;
  if (config.github?.owner && config.github?.repo) {
    answers.github = `${config.github.owner}/${config.github.repo}`;
  }
  const overrides: NonNullable<RawAnswers["overrides"]> = {};
  names.forEach((name, index) => {
    const env = config.environments[name] ?? {};
    const expectedDomain = index === names.length - 1 ? config.domain : `${name}.${config.domain}`;
    const override: Partial<Record<keyof EnvironmentOverride, string>> = {};
    if (env.account !== undefined && env.account !== base.account) override.account = env.account;
    if (env.region !== undefined && env.region !== base.region) override.region = env.region;
    if (env.hostedZoneId !== undefined && env.hostedZoneId !== base.hostedZoneId) {
      override.hostedZoneId = env.hostedZoneId;
    }
    const domain = env.domain ?? config.domain;
    if (domain !== expectedDomain) override.domain = domain;
    if (Object.keys(override).length > 0) overrides[name] = override;
  });
  if (Object.keys(overrides).length > 0) answers.overrides = overrides;
  return answers;
}

/** The domain the apps of environment `name` live under, by the rule setup writes down. */
export function environmentDomain(answers: SetupAnswers, name: string): string {
  const override = answers.overrides[name]?.domain;
  if (override) return override;
  const isProduction = answers.environments.at(-1) === name;
  return isProduction ? answers.domain : `${name}.${answers.domain}`;
}

/** Checks across answers: every environment's domain must be in the hosted zone it is given. */
function crossCheck(answers: SetupAnswers): void {
  const problems: AnswerProblem[] = [];
  for (const name of answers.environments) {
    const override = answers.overrides[name];
    if (override?.hostedZoneId) continue;
    const domain = environmentDomain(answers, name);
    if (domain === answers.domain || domain.endsWith(`.${answers.domain}`)) continue;
    problems.push({
      field: `${OVERRIDE_FLAGS.domain} ${name}`,
      value: domain,
      message: `is outside ${answers.domain}, so its records cannot go in the hosted zone of ${FLAGS.hostedZoneId}`,
      fix: `also pass ${OVERRIDE_FLAGS.hostedZoneId} ${name}=<the zone of ${domain}>, or use a domain under ${answers.domain}`,
    });
  }
  if (problems.length > 0) throw new AnswersError(problems);
}

/** The platform config the answers make, keeping every setting setup does not own. */
function nextConfig(current: Json, answers: SetupAnswers): Json {
  const environments: Record<string, Json> = {};
  if (current.environments?.local !== undefined) environments.local = current.environments.local;
  const firstOfAccount = new Map<string, string>();
  for (const name of answers.environments) {
    const existing: Json = current.environments?.[name] ?? {};
    const override = answers.overrides[name] ?? {};
    const account = override.account ?? answers.account;
    const region = override.region ?? answers.region;
    const domain = environmentDomain(answers, name);
    const env: Json = {
      account,
      region,
      ...(domain === answers.domain ? {} : { domain }),
      hostedZoneId: override.hostedZoneId ?? answers.hostedZoneId,
    };
    for (const [key, value] of Object.entries(existing)) {
      if ((ENV_FIELDS as readonly string[]).includes(key)) continue;
      // Settings that name the old region or account would be wrong in the new one.
      if (key === "availabilityZones") {
        const zones = value as string[];
        if (!zones.every((zone) => zone.startsWith(region))) continue;
      }
      if (key === "registry" && /\.dkr\.ecr\./.test(String(value))) {
        if (!String(value).startsWith(`${account}.dkr.ecr.${region}.`)) continue;
      }
      if (key === "githubOidcProviderArn") continue;
      env[key] = value;
    }
    // An account holds one GitHub OIDC provider: the first environment in it creates it, the
    // others name it (infra refuses to synthesize two). A provider named by hand is kept.
    const kept = existing.githubOidcProviderArn;
    const creator = firstOfAccount.get(account);
    if (typeof kept === "string" && kept.includes(`::${account}:`)) {
      env.githubOidcProviderArn = kept;
    } else if (creator !== undefined) {
      env.githubOidcProviderArn = githubOidcProviderArn(account, region);
    }
    if (creator === undefined) firstOfAccount.set(account, name);
    environments[name] = env;
  }
  const next: Json = {};
  if (current.$schema !== undefined) next.$schema = current.$schema;
  next.project = answers.project;
  next.domain = answers.domain;
  next.github = { owner: answers.github.owner, repo: answers.github.repo };
  next.environments = environments;
  for (const [key, value] of Object.entries(current)) {
    if (!(key in next) && key !== "environments") next[key] = value;
  }
  return next;
}

/** One change to the repository, as `applySetup` plans it. */
export type Change =
  | { kind: "write"; file: string; content: string; why: string }
  | { kind: "remove"; file: string; why: string };

/**
 * Everything the answers change, without changing anything: the platform config, the names
 * that follow the project (the root package.json and its lockfile), overrides in app manifests
 * for environments that no longer exist, and with `removeSamples` the sample apps and every
 * place that lists them.
 */
export function planSetup(
  root: string,
  answers: SetupAnswers,
  options: { removeSamples?: boolean } = {},
): Change[] {
  crossCheck(answers);
  const changes: Change[] = [];
  const write = (file: string, content: string, why: string) => {
    const full = path.join(root, file);
    if (existsSync(full) && readFileSync(full, "utf8") === content) return;
    changes.push({ kind: "write", file, content, why });
  };

  const current = existsSync(path.join(root, CONFIG_FILE)) ? readJson(root, CONFIG_FILE) : {};
  write(CONFIG_FILE, jsonText(nextConfig(current, answers)), "the platform config");

  // The root package's name shows in npm and turbo output ("Modify <name>" in turbo gen).
  const rootPackage = readJson(root, "package.json");
  if (rootPackage.name !== answers.project) {
    write(
      "package.json",
      readFileSync(path.join(root, "package.json"), "utf8").replace(
        /("name":\s*)"[^"]*"/,
        `$1${JSON.stringify(answers.project)}`,
      ),
      "the root package's name",
    );
  }
  if (existsSync(path.join(root, "package-lock.json"))) {
    const lock = readJson(root, "package-lock.json");
    if (lock.name !== answers.project || lock.packages?.[""]?.name !== answers.project) {
      lock.name = answers.project;
      if (lock.packages?.[""]) lock.packages[""].name = answers.project;
      write("package-lock.json", jsonText(lock), "the root package's name in the lockfile");
    }
  }

  const removed = new Set<string>();
  if (options.removeSamples) {
    for (const app of SAMPLE_APPS) {
      if (!isDirectory(path.join(root, "apps", app))) continue;
      removed.add(app);
      changes.push({ kind: "remove", file: `apps/${app}/`, why: `the sample app ${app}` });
      const workflow = `.github/workflows/deploy-${app}.yml`;
      if (existsSync(path.join(root, workflow))) {
        changes.push({ kind: "remove", file: workflow, why: `the deploy workflow of ${app}` });
      }
    }
    // Workspaces that depend on a removed app (packages/e2e builds both images).
    for (const dir of workspaceDirs(root)) {
      if (removed.has(path.basename(dir)) && dir.startsWith("apps/")) continue;
      const file = `${dir}/package.json`;
      const pkg = readJson(root, file);
      let changed = false;
      for (const field of ["dependencies", "devDependencies", "peerDependencies"]) {
        for (const app of removed) {
          if (pkg[field]?.[`@repo/${app}`] !== undefined) {
            delete pkg[field][`@repo/${app}`];
            changed = true;
          }
        }
      }
      if (changed) write(file, jsonText(pkg), `its dependency on the removed sample apps`);
    }
    const dependabot = path.join(root, ".github/dependabot.yml");
    if (existsSync(dependabot) && removed.size > 0) {
      const text = readFileSync(dependabot, "utf8");
      const kept = text
        .split("\n")
        .filter((line) => !removed.has(/^\s*-\s*\/apps\/([^/\s]+)\s*$/.exec(line)?.[1] ?? ""))
        .join("\n");
      write(".github/dependabot.yml", kept, "the Dockerfile folders Dependabot watches");
    }
  }

  // Overrides for environments that no longer exist would stop every command (platform-config
  // refuses them), so they go, and the change list says so.
  const known = new Set(["local", ...answers.environments]);
  for (const dir of workspaceDirs(root)) {
    if (!dir.startsWith("apps/") || removed.has(path.basename(dir))) continue;
    const file = `${dir}/deploy.json`;
    if (!existsSync(path.join(root, file))) continue;
    const manifest = readJson(root, file);
    const stale = Object.keys(manifest.environments ?? {}).filter((name) => !known.has(name));
    if (stale.length === 0) continue;
    for (const name of stale) delete manifest.environments[name];
    write(
      file,
      jsonText(manifest),
      `overrides for environments no longer there: ${stale.join(", ")}`,
    );
  }
  return changes;
}

/**
 * Applies the answers to the repository at `root` and returns the repo-relative paths it changed
 * (a removed folder ends with "/"), sorted. Running it again with the same answers returns [].
 */
export function applySetup(
  root: string,
  answers: SetupAnswers,
  options: { removeSamples?: boolean; dryRun?: boolean } = {},
): string[] {
  const changes = planSetup(root, answers, options);
  if (!options.dryRun) applyChanges(root, changes);
  return changes.map((change) => change.file).sort();
}

/** Makes the changes `planSetup` planned. */
export function applyChanges(root: string, changes: readonly Change[]): void {
  for (const change of changes) {
    const full = path.join(root, change.file);
    if (change.kind === "write") writeFileSync(full, change.content);
    else rmSync(full, { recursive: true, force: true });
  }
}

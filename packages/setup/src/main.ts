import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "@repo/platform-config/errors";
import { findRepoRoot } from "@repo/platform-config/load";
import {
  AnswersError,
  type EnvironmentOverride,
  OVERRIDE_FLAGS,
  type RawAnswers,
  type SetupAnswers,
  validateAnswers,
} from "./answers.js";
import { applyChanges, type Change, currentAnswers, planSetup, SAMPLE_APPS } from "./setup.js";

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export const HELP = `npm run setup: make this repository your platform

Asks for each answer (or takes them as flags), validates them, writes platform.config.json and
renames what follows the project name. Running it again with the same answers changes nothing.

Usage: npm run setup [-- options]

Options:
  -y, --yes                   ask nothing: every answer from a flag or the current config
      --project <name>        project name: stacks, containers, ECR repositories start with it
      --domain <domain>       apps live at <app>.<domain> (other environments: <app>.<env>.<domain>)
      --hosted-zone-id <id>   the Route 53 hosted zone of the domain, Z...
      --account <id>          AWS account id, 12 digits
      --region <region>       AWS region, e.g. eu-west-1
      --environments <list>   AWS environments in promotion order, e.g. staging,prod
      --env-account <env>=<id>         another account for one environment (repeatable)
      --env-region <env>=<region>      another region for one environment (repeatable)
      --env-hosted-zone-id <env>=<id>  another hosted zone for one environment (repeatable)
      --env-domain <env>=<domain>      another domain for one environment (repeatable)
      --github <owner/repo>   the GitHub repository the deploy roles trust (OIDC)
      --remove-samples        delete the sample apps (apps/api, apps/web) and what lists them
      --dry-run               print what would change and change nothing
  -h, --help                  this help

Exit codes: 0 ok, 1 failed, 2 usage or invalid answer, 130 interrupted.`;

export interface Io {
  cwd: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Whether a person can answer prompts (stdin is a terminal). */
  interactive: boolean;
  /** Asks for the answers; default: the @inquirer/prompts flow of prompts.ts. */
  ask?: (defaults: RawAnswers, context: AskContext) => Promise<AskResult>;
  /** Runs a command in the repository; default: spawnSync with inherited output. */
  run?: (command: string, args: string[], cwd: string) => number;
}

export interface AskContext {
  samples: string[];
  removeSamples: boolean;
}

export interface AskResult {
  answers: RawAnswers;
  removeSamples: boolean;
  /** Asked after the plan is shown; undefined when the flow does not confirm. */
  confirm?: (changes: Change[]) => Promise<boolean>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

interface Options {
  yes: boolean;
  dryRun: boolean;
  removeSamples: boolean;
  help: boolean;
  flags: RawAnswers;
  /** Which platform-wide answers came from flags. */
  given: Set<string>;
}

function parseOverrides(
  values: string[] | undefined,
  key: keyof EnvironmentOverride,
  into: NonNullable<RawAnswers["overrides"]>,
): void {
  for (const value of values ?? []) {
    const match = /^([^=]+)=(.*)$/.exec(value);
    if (!match?.[1] || !match[2]) {
      throw new UsageError(
        `${OVERRIDE_FLAGS[key]} = ${JSON.stringify(value)}: is not <env>=<value>. Fix: write it as ${OVERRIDE_FLAGS[key]} prod=<value>`,
      );
    }
    const env = match[1].trim();
    into[env] = { ...into[env], [key]: match[2].trim() };
  }
}

export function parseOptions(argv: readonly string[]): Options {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}. Run \`npm run setup -- --help\` for the options.`,
    );
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}": every answer is a flag, e.g. --project ${positionals[0]}. Run \`npm run setup -- --help\`.`,
    );
  }
  const flags: RawAnswers = {};
  const given = new Set<string>();
  const set = <K extends keyof RawAnswers>(key: K, value: RawAnswers[K] | undefined) => {
    if (value === undefined) return;
    flags[key] = value;
    given.add(key);
  };
  set("project", values.project);
  set("domain", values.domain);
  set("hostedZoneId", values["hosted-zone-id"]);
  set("account", values.account);
  set("region", values.region);
  set("environments", values.environments);
  set("github", values.github);
  const overrides: NonNullable<RawAnswers["overrides"]> = {};
  parseOverrides(values["env-account"], "account", overrides);
  parseOverrides(values["env-region"], "region", overrides);
  parseOverrides(values["env-hosted-zone-id"], "hostedZoneId", overrides);
  parseOverrides(values["env-domain"], "domain", overrides);
  if (Object.keys(overrides).length > 0) flags.overrides = overrides;
  return {
    yes: values.yes ?? false,
    dryRun: values["dry-run"] ?? false,
    removeSamples: values["remove-samples"] ?? false,
    help: values.help ?? false,
    flags,
    given,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      yes: { type: "boolean", short: "y" },
      project: { type: "string" },
      domain: { type: "string" },
      "hosted-zone-id": { type: "string" },
      account: { type: "string" },
      region: { type: "string" },
      environments: { type: "string" },
      "env-account": { type: "string", multiple: true },
      "env-region": { type: "string", multiple: true },
      "env-hosted-zone-id": { type: "string", multiple: true },
      "env-domain": { type: "string", multiple: true },
      github: { type: "string" },
      "remove-samples": { type: "boolean" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/**
 * The current config's answers with the flags on top. A flag answers its question for every
 * environment: the current config's per-environment difference for that field is dropped (the
 * template's staging account must not survive `--account`), unless an --env-* flag sets it again.
 */
export function mergeAnswers(
  current: RawAnswers,
  options: Pick<Options, "flags" | "given">,
): RawAnswers {
  const merged: RawAnswers = { ...current, ...options.flags };
  const environments =
    typeof merged.environments === "string"
      ? merged.environments.split(",").map((name) => name.trim())
      : merged.environments;
  const overrides: NonNullable<RawAnswers["overrides"]> = {};
  for (const [env, values] of Object.entries(current.overrides ?? {})) {
    if (environments && !environments.includes(env)) continue;
    for (const [key, value] of Object.entries(values)) {
      if (options.given.has(key)) continue;
      overrides[env] = { ...overrides[env], [key]: value };
    }
  }
  for (const [env, values] of Object.entries(options.flags.overrides ?? {})) {
    overrides[env] = { ...overrides[env], ...values };
  }
  delete merged.overrides;
  if (Object.keys(overrides).length > 0) merged.overrides = overrides;
  return merged;
}

function describeChange(change: Change): string {
  return `  ${change.kind === "write" ? "write " : "remove"} ${change.file}  (${change.why})`;
}

function defaultRun(command: string, args: string[], cwd: string): number {
  const result = spawnSync(command, args, { cwd, stdio: "inherit" });
  return result.status ?? 1;
}

/** `npm run setup` with `argv`; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (options.help) {
    io.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  try {
    const root = findRepoRoot(io.cwd);
    const samples = SAMPLE_APPS.filter((app) => existsSync(path.join(root, "apps", app)));
    const defaults = mergeAnswers(currentAnswers(root), options);
    let raw = defaults;
    let removeSamples = options.removeSamples;
    let confirm: AskResult["confirm"];
    if (!options.yes) {
      if (!io.interactive) {
        throw new UsageError(
          "No terminal to ask in (stdin is not a TTY). Fix: pass --yes and the answers as flags, e.g. npm run setup -- --yes --project acme ... (see --help).",
        );
      }
      const ask = io.ask ?? (await import("./prompts.js")).askAnswers;
      const result = await ask(defaults, { samples, removeSamples });
      raw = result.answers;
      removeSamples = result.removeSamples;
      confirm = result.confirm;
    }
    const answers: SetupAnswers = validateAnswers(raw);
    const changes = planSetup(root, answers, { removeSamples });
    if (changes.length === 0) {
      io.stdout.write("Nothing to change: the repository already has these answers.\n");
      return EXIT.ok;
    }
    io.stdout.write(`${options.dryRun ? "Would change" : "Changes"}:\n`);
    io.stdout.write(`${changes.map(describeChange).join("\n")}\n`);
    if (options.dryRun) {
      io.stdout.write("Dry run: nothing was changed.\n");
      return EXIT.ok;
    }
    if (confirm && !(await confirm(changes))) {
      io.stdout.write("Nothing was changed.\n");
      return EXIT.ok;
    }
    applyChanges(root, changes);
    return afterChanges(root, changes, io, answers);
  } catch (error) {
    // Each names the field or file, the value and the fix.
    if (
      error instanceof AnswersError ||
      error instanceof UsageError ||
      error instanceof ConfigError
    ) {
      io.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    if ((error as Error).name === "ExitPromptError") {
      io.stderr.write("\nInterrupted: nothing was changed.\n");
      return EXIT.interrupted;
    }
    throw error;
  }
}

/**
 * The command that configures the repository's GitHub environments (two per AWS environment:
 * releases and cdk deploy, their branches, reviewers and variables), with the last (production)
 * environment's approvals as the example; without --apply it prints the gh commands.
 */
function githubNext(answers: SetupAnswers): string[] {
  const last = answers.environments.at(-1);
  if (!answers.github || !last) return [];
  const reviewers = `--reviewer ${last}=<login> --reviewer ${last}-infra=<login>`;
  return [
    `  npm run github -w @repo/ci -- --apply ${reviewers}`,
    "                           # (gh auth login first; without --apply: the gh commands, run nothing)",
  ];
}

/** What follows the file changes: npm links workspaces, the CI workflows follow the apps. */
function afterChanges(root: string, changes: Change[], io: Io, answers: SetupAnswers): number {
  const run = io.run ?? defaultRun;
  const workspacesChanged = changes.some(
    (change) => change.kind === "remove" && change.file.startsWith("apps/"),
  );
  if (workspacesChanged) {
    io.stdout.write("\n> npm install (the lockfile and node_modules follow the removed apps)\n");
    if (run("npm", ["install", "--no-audit", "--no-fund"], root) !== 0) {
      io.stderr.write(
        "npm install failed (its output is above). The files are changed; fix the cause and run `npm install`, then `npm run workflows`.\n",
      );
      return EXIT.failed;
    }
    const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts ?? {};
    if (scripts.workflows) {
      io.stdout.write("\n> npm run workflows (one deploy workflow per app)\n");
      if (run("npm", ["run", "workflows"], root) !== 0) {
        io.stderr.write(
          "npm run workflows failed (its output is above). Fix the cause and run it again.\n",
        );
        return EXIT.failed;
      }
    }
  }
  io.stdout.write(
    [
      "",
      "Done. Next (README, Start here):",
      "  npm run up               # every app on this machine, at http://<app>.localhost:8080",
      "  then connect AWS: cdk bootstrap, deploy the platform stack, then GitHub's environments",
      ...githubNext(answers),
      "  npx turbo gen app        # add an app",
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}

import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { loadPlatform } from "@repo/platform-config/load";
import {
  applyPlan,
  type GhRunner,
  GitHubSetupError,
  planGitHubSetup,
  renderCommands,
} from "./github-setup.js";

const HELP = `platform-github: the repository's GitHub environments, from platform.config.json

Usage: npm run github -w @repo/ci [-- options]

For each AWS environment <env>: the GitHub environment <env> (app releases: deployments from
main and the apps' release tags; AWS_DEPLOY_ROLE_ARN, AWS_REGION) and <env>-infra (cdk deploy:
deployments from main only; AWS_INFRA_ROLE_ARN, AWS_REGION), each with its reviewers.

With no option it prints the gh commands and changes nothing.

Options:
      --apply                 run them with gh (\`gh auth login\` as a repository admin first);
                              existing branch policies are kept, missing ones added
      --reviewer <env>=<who>  require an approval in GitHub environment <env> (e.g. prod or
                              prod-infra) from <who>: a login, or org/team (repeatable, up to 6)
      --json                  print the plan as JSON
  -h, --help                  this help

Exit codes: 0 ok, 1 a gh command failed, 2 usage or config error.`;

export interface PlatformGitHubIo {
  cwd: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** `gh`; default: the gh CLI on PATH. */
  gh?: GhRunner;
}

/** Runs the gh CLI, its standard input from `input`; output captured. */
export const ghCli: GhRunner = (args, input) =>
  new Promise((resolve) => {
    const child = spawn("gh", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", (error) =>
      resolve({
        code: 127,
        stdout,
        stderr: `${error.message}: install the GitHub CLI (https://cli.github.com) and run \`gh auth login\``,
      }),
    );
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });

export async function platformGitHubMain(
  argv: readonly string[],
  io: PlatformGitHubIo,
): Promise<number> {
  let values: { apply?: boolean; json?: boolean; help?: boolean; reviewer?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        apply: { type: "boolean" },
        json: { type: "boolean" },
        reviewer: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    io.stderr.write(`✗ ${(error as Error).message}. Run with --help for the options.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const reviewers: Record<string, string[]> = {};
  for (const given of values.reviewer ?? []) {
    const match = /^([a-z][a-z0-9-]*)=(.+)$/.exec(given);
    if (!match) {
      io.stderr.write(
        `✗ --reviewer "${given}" is not <environment>=<login or org/team>, e.g. --reviewer prod=alice or --reviewer prod-infra=acme/platform-admins.\n`,
      );
      return 2;
    }
    const [, environment, who] = match as unknown as [string, string, string];
    reviewers[environment] = [...(reviewers[environment] ?? []), ...who.split(",")];
  }
  let plan: ReturnType<typeof planGitHubSetup>;
  try {
    plan = planGitHubSetup(loadPlatform({ cwd: io.cwd }), { reviewers });
  } catch (error) {
    io.stderr.write(`✗ ${(error as Error).message}\n`);
    return 2;
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    if (!values.apply) return 0;
  }
  if (!values.apply) {
    io.stdout.write(renderCommands(plan));
    return 0;
  }
  try {
    const report = await applyPlan(plan, io.gh ?? ghCli);
    for (const line of report.lines) io.stderr.write(`✓ ${line}\n`);
    for (const warning of report.warnings) io.stderr.write(`! ${warning}\n`);
    return 0;
  } catch (error) {
    if (error instanceof GitHubSetupError) {
      io.stderr.write(`✗ ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

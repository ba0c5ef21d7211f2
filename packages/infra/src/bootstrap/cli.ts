import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "@repo/platform-config/errors";
import { loadPlatform } from "@repo/platform-config/load";
import { awsPartition } from "@repo/platform-config/names";
import { awsEnvironments } from "../platform-app.js";
import {
  boundaryPolicy,
  boundaryPolicyName,
  executionPolicies,
  executionPolicyName,
  type PolicyContext,
  type PolicyDocument,
} from "./execution-policy.js";

/** What `bootstrap-policy` writes and prints for one account. */
export interface BootstrapPlan {
  readonly account: string;
  /** File name to document, boundary first. */
  readonly files: ReadonlyArray<{ name: string; policyName: string; document: PolicyDocument }>;
  /** The commands to run, with an administrator's credentials for the account. */
  readonly commands: readonly string[];
}

/** The policies and commands for `account`, from the environments of platform.config.json. */
export function bootstrapPlan(options: {
  cwd: string;
  account?: string;
  qualifier?: string;
  outDir: string;
}): BootstrapPlan {
  const loaded = loadPlatform({ cwd: options.cwd });
  const environments = awsEnvironments(loaded);
  const accounts = [...new Set(environments.map((environment) => environment.account))];
  const account = options.account ?? (accounts.length === 1 ? accounts[0] : undefined);
  const mine = environments.filter((environment) => environment.account === account);
  if (account === undefined || mine.length === 0) {
    throw new ConfigError([
      {
        file: "platform.config.json",
        field: "environments.*.account",
        value: options.account ?? accounts,
        message:
          options.account === undefined
            ? "names several accounts, and one bootstrap serves one account"
            : "names no environment in this account",
        fix: `pass --account with one of ${accounts.join(", ")}`,
      },
    ]);
  }
  const regions = [...new Set(mine.map((environment) => environment.region))];
  const first = regions[0] as string;
  const partition = awsPartition(first);
  const ctx: PolicyContext = {
    project: loaded.platform.project,
    account,
    partition,
    regions,
    hostedZoneIds: mine.flatMap((environment) =>
      environment.hostedZoneId === undefined ? [] : [environment.hostedZoneId],
    ),
    ...(options.qualifier === undefined ? {} : { qualifier: options.qualifier }),
  };
  const project = loaded.platform.project;
  const files = [
    {
      name: "boundary.json",
      policyName: boundaryPolicyName(project),
      document: boundaryPolicy(ctx),
    },
    ...executionPolicies(ctx).map((document, index) => ({
      name: `cfn-exec-${index + 1}.json`,
      policyName: executionPolicyName(project, index),
      document,
    })),
  ];
  const policyArn = (name: string) => `arn:${partition}:iam::${account}:policy/${name}`;
  const execArns = files
    .filter((file) => file.name.startsWith("cfn-exec-"))
    .map((file) => policyArn(file.policyName))
    .join(",");
  const qualifier = options.qualifier === undefined ? "" : ` --qualifier ${options.qualifier}`;
  const commands = [
    ...files.map(
      (file) =>
        `aws iam create-policy --policy-name ${file.policyName} --policy-document file://${path.join(options.outDir, file.name)}`,
    ),
    ...regions.map(
      (region) =>
        `npx cdk bootstrap aws://${account}/${region}${qualifier} --cloudformation-execution-policies ${execArns}`,
    ),
  ];
  return { account, files, commands };
}

const USAGE = `Usage: npm run bootstrap-policy -w @repo/infra -- [--account <12 digits>] [--out <dir>] [--qualifier <q>]

Writes boundary.json and cfn-exec-<n>.json for the account's environments in platform.config.json
and prints the commands that create the policies and bootstrap each region with them.`;

/** Standard output, for what the command reports (console.log is for debugging only). */
function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Parses argv, writes the files and prints the commands; returns the exit code. */
export function main(argv: readonly string[], cwd: string = process.cwd()): number {
  let values: { account?: string; out?: string; qualifier?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        account: { type: "string" },
        out: { type: "string" },
        qualifier: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    print(USAGE);
    return 0;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    console.error(
      `--account ${values.account}: is not an AWS account id. Fix: pass 12 digits, such as 111111111111`,
    );
    return 2;
  }
  // Absolute, so the printed commands work from any folder.
  const target = path.resolve(cwd, values.out ?? "bootstrap-policies");
  let plan: BootstrapPlan;
  try {
    plan = bootstrapPlan({
      cwd,
      outDir: target,
      ...(values.account === undefined ? {} : { account: values.account }),
      ...(values.qualifier === undefined ? {} : { qualifier: values.qualifier }),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  mkdirSync(target, { recursive: true });
  for (const file of plan.files) {
    writeFileSync(path.join(target, file.name), `${JSON.stringify(file.document, null, 2)}\n`);
  }
  print(
    `Wrote ${plan.files.map((file) => file.name).join(", ")} to ${target}. With an administrator's credentials for account ${plan.account}, run:\n`,
  );
  for (const command of plan.commands) print(command);
  print(
    `\nThen let CDK give every role the boundary: add "@aws-cdk/core:permissionsBoundary": { "name": "${plan.files[0]?.policyName}" } to "context" in packages/infra/cdk.json.` +
      "\nTo change a policy later: aws iam create-policy-version --policy-arn <arn> --policy-document file://<file> --set-as-default (IAM keeps at most 5 versions).",
  );
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  process.exitCode = main(process.argv.slice(2));
}

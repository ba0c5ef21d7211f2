import { DeployError, EXIT, explainAwsError, InterruptedError, UsageError } from "../errors.js";
import { createReporter, type Reporter } from "../output.js";
import { type CommandName, type GlobalOptions, parseArgv } from "./parse.js";

/** What every command receives. Clients (Docker, AWS) are made by the command unless given. */
export interface CommandContext {
  cwd: string;
  apps: string[];
  options: GlobalOptions;
  reporter: Reporter;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
}

export interface CommandModule {
  run(context: CommandContext): Promise<Record<string, unknown>>;
}

// Static import() calls: the bundler makes one lazily loaded chunk per command, so `--help`
// and a typo never load Docker, zod or the AWS SDK.
const LOADERS: Record<CommandName, () => Promise<CommandModule>> = {
  build: () => import("../commands/build.js"),
  push: () => import("../commands/push.js"),
  release: () => import("../commands/release.js"),
  deploy: () => import("../commands/deploy.js"),
  status: () => import("../commands/status.js"),
  rollback: () => import("../commands/rollback.js"),
  releases: () => import("../commands/releases.js"),
  diagnose: () => import("../commands/diagnose.js"),
  reconcile: () => import("../commands/reconcile.js"),
  down: () => import("../commands/down.js"),
};

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  version?: string;
  load?: (command: CommandName) => Promise<CommandModule>;
}

type ErrorKind = "usage" | "config" | "failed" | "interrupted" | "unexpected";

function classify(err: unknown): { kind: ErrorKind; exitCode: number } {
  if (err instanceof UsageError) return { kind: "usage", exitCode: EXIT.usage };
  if (err instanceof InterruptedError) return { kind: "interrupted", exitCode: EXIT.interrupted };
  if (err instanceof DeployError) {
    return { kind: err.exitCode === EXIT.usage ? "config" : "failed", exitCode: err.exitCode };
  }
  // @repo/platform-config's ConfigError, recognised by name so that it loads only with a command.
  if (err instanceof Error && err.name === "ConfigError")
    return { kind: "config", exitCode: EXIT.usage };
  return { kind: "unexpected", exitCode: EXIT.failed };
}

/** Runs one command line; returns the exit code. The only place that turns errors into codes. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const wantsJson = argv.includes("--json");
  let command: CommandName | undefined;
  try {
    const parsed = parseArgv(argv);
    if (parsed.kind === "help") {
      io.stdout.write(`${parsed.text}\n`);
      return EXIT.ok;
    }
    if (parsed.kind === "version") {
      io.stdout.write(`${io.version ?? "unknown"}\n`);
      return EXIT.ok;
    }
    command = parsed.command;
    const reporter = createReporter({
      json: parsed.options.json,
      ci: Boolean(io.env.CI),
      stream: io.stderr,
      out: io.stdout,
    });
    const module = await (io.load ?? ((name) => LOADERS[name]()))(parsed.command);
    const result = await module.run({
      cwd: io.cwd,
      apps: parsed.apps,
      options: parsed.options,
      reporter,
      signal: io.signal,
      env: io.env,
    });
    if (parsed.options.json) {
      io.stdout.write(
        `${JSON.stringify({ ok: true, command, env: parsed.options.env, ...result })}\n`,
      );
    }
    return EXIT.ok;
  } catch (caught) {
    // Ctrl-C reaches docker too, whose failure then surfaces first: it is still an interruption.
    const err =
      io.signal.aborted && !(caught instanceof InterruptedError)
        ? new InterruptedError(`Interrupted: ${(caught as Error)?.message ?? String(caught)}`)
        : caught instanceof DeployError || caught instanceof UsageError
          ? caught
          : (explainAwsError(caught, io.env) ?? caught);
    const { kind, exitCode } = classify(err);
    const error = err as Error & { hint?: string; details?: readonly string[] };
    const message =
      kind === "unexpected" ? `Unexpected error: ${error?.message ?? String(err)}` : error.message;
    if (wantsJson) {
      const body = { kind, message, hint: error.hint, details: error.details };
      io.stdout.write(`${JSON.stringify({ ok: false, command, exitCode, error: body })}\n`);
    }
    io.stderr.write(`\n✗ ${message}\n`);
    for (const line of error.details ?? []) io.stderr.write(`    ${line}\n`);
    if (error.hint) io.stderr.write(`  → ${error.hint}\n`);
    if (kind === "unexpected") {
      if (io.env.DEPLOY_KIT_DEBUG) io.stderr.write(`${error.stack}\n`);
      else io.stderr.write("  (set DEPLOY_KIT_DEBUG=1 to see where it came from)\n");
    }
    return exitCode;
  }
}

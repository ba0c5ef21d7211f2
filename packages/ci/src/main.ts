import { checkAppWorkflows, writeAppWorkflows } from "./workflows.js";

const HELP = `gen-workflows: write the workflows that follow the workspace graph and the platform config

Usage: gen-workflows [--check]        (at the root: npm run workflows [-- --check])

Writes .github/workflows/deploy-<app>.yml for every app with an apps/<app>/deploy.json: its path
filters are the app's folder, every workspace it depends on (dependencies and devDependencies,
transitively), the root files every image or deploy reads, and the pipeline's workflow files;
its jobs release to the AWS environments of platform.config.json, in order. Writes infra.yml,
whose jobs follow the same environments. Removes the workflow of an app that no longer exists.

Options:
      --check   change nothing; exit 1 and show the difference when a committed workflow is not
                what would be generated (CI runs this)
  -h, --help    this help

Exit codes: 0 ok, 1 workflows out of date (--check), 2 usage or config error.`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

/** Runs one command line; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): number {
  const unknown = argv.filter((arg) => !["--check", "--help", "-h"].includes(arg));
  if (unknown.length) {
    io.stderr.write(`✗ Unknown argument ${unknown.join(" ")}. Run \`gen-workflows --help\`.\n`);
    return 2;
  }
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    if (argv.includes("--check")) {
      const { problems } = checkAppWorkflows(io.cwd);
      if (!problems.length) {
        io.stdout.write(
          "✓ the generated workflows match the workspace graph and platform.config.json\n",
        );
        return 0;
      }
      for (const problem of problems) {
        io.stderr.write(`✗ ${problem.message}\n`);
        for (const line of problem.details) io.stderr.write(`    ${line}\n`);
      }
      return 1;
    }
    const result = writeAppWorkflows(io.cwd);
    for (const file of result.written) io.stdout.write(`wrote ${file}\n`);
    for (const file of result.removed) io.stdout.write(`removed ${file}\n`);
    if (result.unchanged.length) {
      io.stdout.write(`${result.unchanged.length} unchanged: ${result.unchanged.join(", ")}\n`);
    }
    return 0;
  } catch (error) {
    // platform-config's ConfigError and the graph's errors name the file and the fix.
    io.stderr.write(`✗ ${(error as Error).message}\n`);
    return 2;
  }
}

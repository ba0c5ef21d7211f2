import { main } from "./main.js";

// `npm run setup` (tsx packages/setup/src/cli.ts): arguments in, exit code out.
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.env.INIT_CWD ?? process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: Boolean(process.stdin.isTTY),
});

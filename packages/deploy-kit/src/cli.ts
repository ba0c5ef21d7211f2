import { main } from "./cli/main.js";

declare const DEPLOY_KIT_VERSION: string | undefined;

// The first Ctrl-C asks the running command to stop at the next safe point (it says what it
// left behind); a second one exits at once.
const controller = new AbortController();
let signals = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\n! ${signal}: stopping at the next safe point (again to force)\n`);
    controller.abort();
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
  version: typeof DEPLOY_KIT_VERSION === "string" ? DEPLOY_KIT_VERSION : undefined,
});

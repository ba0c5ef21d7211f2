import { platformEnvMain } from "./platform-env.js";

process.exitCode = platformEnvMain(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});

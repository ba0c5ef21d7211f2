import { platformGitHubMain } from "./platform-github.js";

process.exitCode = await platformGitHubMain(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});

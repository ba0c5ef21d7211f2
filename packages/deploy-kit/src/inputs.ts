import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/**
 * A hash of everything an app's image is built from, taken from turbo's own hash of the app's
 * `build` task: the app's files (its Dockerfile too), the workspaces it depends on, the lockfile
 * entries it uses and the global inputs (.dockerignore, .nvmrc). Turbo already knows the graph;
 * a second implementation here would drift from it. Undefined when turbo cannot tell.
 */
export async function inputsHash(root: string, packageName: string): Promise<string | undefined> {
  const turbo = path.join(root, "node_modules", ".bin", "turbo");
  if (!existsSync(turbo)) return undefined;
  try {
    const { stdout } = await exec(
      turbo,
      ["run", "build", `--filter=${packageName}`, "--dry=json"],
      {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      },
    );
    const plan = JSON.parse(stdout) as { tasks: Array<{ taskId: string; hash: string }> };
    return plan.tasks.find((task) => task.taskId === `${packageName}#build`)?.hash;
  } catch {
    return undefined;
  }
}

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
  return (await inputsHashes(root, [packageName])).get(packageName);
}

/** `inputsHash` of several packages from one turbo run: package name → hash, where turbo can tell. */
export async function inputsHashes(
  root: string,
  packageNames: readonly string[],
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  const turbo = path.join(root, "node_modules", ".bin", "turbo");
  if (packageNames.length === 0 || !existsSync(turbo)) return hashes;
  try {
    const { stdout } = await exec(
      turbo,
      ["run", "build", ...packageNames.map((name) => `--filter=${name}`), "--dry=json"],
      {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      },
    );
    const plan = JSON.parse(stdout) as { tasks: Array<{ taskId: string; hash: string }> };
    for (const name of packageNames) {
      const hash = plan.tasks.find((task) => task.taskId === `${name}#build`)?.hash;
      if (hash) hashes.set(name, hash);
    }
  } catch {
    // turbo cannot tell: every image is built
  }
  return hashes;
}

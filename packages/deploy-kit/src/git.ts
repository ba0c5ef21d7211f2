import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { DeployError, EXIT } from "./errors.js";

const exec = promisify(execFile);

export interface Revision {
  /** The full commit id. */
  commit: string;
  /** The image tag: the commit's first 12 characters, with `-dirty-<hash>` for uncommitted changes. */
  tag: string;
  dirty: boolean;
}

async function git(root: string, args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * The revision to build. A dirty tree is refused unless allowed; then the tag says so and names
 * the exact changes (a hash of the diff and of untracked files), so two different dirty states
 * never share a tag.
 */
export async function revision(root: string, allowDirty: boolean): Promise<Revision> {
  let commit: string;
  try {
    commit = (await git(root, ["rev-parse", "HEAD"])).trim();
  } catch {
    throw new DeployError(`${root} has no git commit to tag images with.`, {
      hint: "Commit your work (`git init && git add -A && git commit -m init` in a new copy of the template).",
      exitCode: EXIT.usage,
    });
  }
  const status = await git(root, ["status", "--porcelain", "--untracked-files=all"]);
  if (!status.trim()) return { commit, tag: commit.slice(0, 12), dirty: false };
  if (!allowDirty) {
    const files = status.split("\n").filter(Boolean);
    throw new DeployError(
      `The working tree has ${files.length} uncommitted change(s); images are tagged with the commit.`,
      {
        details: files.slice(0, 10),
        hint: "Commit the changes, or pass --allow-dirty to build them anyway (the tag gets a -dirty suffix).",
        exitCode: EXIT.usage,
      },
    );
  }
  const hash = createHash("sha256");
  hash.update(await git(root, ["diff", "HEAD", "--binary"]));
  hash.update(status);
  return {
    commit,
    tag: `${commit.slice(0, 12)}-dirty-${hash.digest("hex").slice(0, 8)}`,
    dirty: true,
  };
}

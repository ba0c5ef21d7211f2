import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DeployError } from "../errors.js";
import { revision } from "../git.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function repo(commit = true): string {
  const dir = mkdtempSync(path.join(tmpdir(), "deploy-kit-git-"));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
    });
  git("init", "-q");
  writeFileSync(path.join(dir, "a.txt"), "one\n");
  if (commit) {
    git("add", "-A");
    git("commit", "-qm", "one");
  }
  return dir;
}

describe("revision", () => {
  it("tags a clean tree with the commit's first 12 characters", async () => {
    const dir = repo();
    const rev = await revision(dir, false);
    expect(rev.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(rev).toEqual({ commit: rev.commit, tag: rev.commit.slice(0, 12), dirty: false });
  });

  it("refuses a dirty tree, listing the changes and the fix", async () => {
    const dir = repo();
    writeFileSync(path.join(dir, "a.txt"), "two\n");
    const error = await revision(dir, false).catch((err: DeployError) => err);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).message).toMatch(/1 uncommitted change/);
    expect((error as DeployError).details).toEqual([" M a.txt"]);
    expect((error as DeployError).hint).toMatch(/--allow-dirty/);
    expect((error as DeployError).exitCode).toBe(2);
  });

  it("with --allow-dirty, suffixes the tag with a hash of the changes", async () => {
    const dir = repo();
    writeFileSync(path.join(dir, "a.txt"), "two\n");
    const first = await revision(dir, true);
    expect(first.tag).toMatch(/^[0-9a-f]{12}-dirty-[0-9a-f]{8}$/);
    expect((await revision(dir, true)).tag).toBe(first.tag);
    writeFileSync(path.join(dir, "a.txt"), "three\n");
    expect((await revision(dir, true)).tag).not.toBe(first.tag);
  });

  it("explains a repository without commits", async () => {
    const dir = repo(false);
    await expect(revision(dir, true)).rejects.toThrow(/has no git commit to tag images with/);
  });
});

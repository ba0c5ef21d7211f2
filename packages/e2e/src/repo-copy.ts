import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "./docker.js";

/**
 * A throwaway git repository made from this one (tracked and untracked files, the installed
 * node_modules linked in), with its own project name and edge port: what a team's repository
 * is, where a test can commit changes and deploy them without touching the real working tree or
 * a developer's running local platform.
 */
export class RepoCopy {
  readonly dir: string;
  readonly project: string;

  private constructor(dir: string, project: string) {
    this.dir = dir;
    this.project = project;
  }

  static create(edgePort: number, local: Record<string, unknown> = {}): RepoCopy {
    const dir = mkdtempSync(path.join(tmpdir(), "platform-copy-"));
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: repoRoot,
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean);
    for (const file of files) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      cpSync(path.join(repoRoot, file), path.join(dir, file));
    }
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    const project = `e2e${randomBytes(3).toString("hex")}`;
    const copy = new RepoCopy(dir, project);
    copy.editJson("platform.config.json", (config) => {
      config.project = project;
      config.environments.local = { ...config.environments.local, edgePort, ...local };
    });
    copy.git("init", "-q", "-b", "main");
    copy.commit("the template");
    return copy;
  }

  git(...args: string[]): string {
    return execFileSync(
      "git",
      ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", ...args],
      {
        cwd: this.dir,
        encoding: "utf8",
      },
    ).trim();
  }

  commit(message: string): string {
    this.git("add", "-A");
    this.git("commit", "-q", "--allow-empty", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  // biome-ignore lint/suspicious/noExplicitAny: a test edits JSON files of any shape
  editJson(file: string, edit: (value: any) => void): void {
    const full = path.join(this.dir, file);
    const value = JSON.parse(readFileSync(full, "utf8"));
    edit(value);
    writeFileSync(full, `${JSON.stringify(value, null, 2)}\n`);
  }

  append(file: string, text: string): void {
    const full = path.join(this.dir, file);
    writeFileSync(full, readFileSync(full, "utf8") + text);
  }

  prepend(file: string, text: string): void {
    const full = path.join(this.dir, file);
    writeFileSync(full, text + readFileSync(full, "utf8"));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

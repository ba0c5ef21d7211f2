import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ResolvedApp } from "@repo/platform-config/resolve";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../cli/main.js";
import { parseArgv } from "../../cli/parse.js";
import { memoryReporter } from "../../output.js";
import type { Project } from "../../project.js";
import type { ReleaseInput, Target } from "../../targets/target.js";
import { releaseApps } from "../release.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function githubOutput(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "deploy-kit-release-"));
  dirs.push(dir);
  const file = path.join(dir, "output");
  writeFileSync(file, "");
  return file;
}

function context(argv: string[], env: Record<string, string>): CommandContext {
  const parsed = parseArgv(argv);
  if (parsed.kind !== "run") throw new Error("not a command line");
  return {
    cwd: "/repo",
    apps: parsed.apps,
    options: parsed.options,
    reporter: memoryReporter(),
    signal: new AbortController().signal,
    env,
  };
}

const project = { environment: { kind: "aws", name: "staging" } } as unknown as Project;

/** A target whose releases succeed at `https://<app>.staging.example.com`. */
const target = {
  release: async (input: ReleaseInput, options: { dryRun: boolean }) => ({
    app: input.app.name,
    url: `https://${input.app.name}.staging.example.com`,
    image: input.image,
    commit: input.commit,
    tag: input.tag,
    release: "r1",
    secondsToTraffic: 1,
    seconds: 2,
    ...(options.dryRun ? { dryRun: true } : {}),
  }),
} as unknown as Target;

const input = (app: string): ReleaseInput => ({
  app: { name: app } as ResolvedApp,
  image: `p/${app}:abc`,
  commit: "abc",
  tag: "abc",
});

describe("releaseApps in GitHub Actions", () => {
  it("gives the released app's URL as the step's `url` output (the environment's URL)", async () => {
    const file = githubOutput();
    const ctx = context(["deploy", "api", "--env", "staging"], {
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: file,
    });
    await releaseApps(ctx, project, target, [input("api")]);
    expect(readFileSync(file, "utf8")).toBe("url=https://api.staging.example.com\n");
  });

  it("gives no URL for several apps at once, or for a dry run", async () => {
    const file = githubOutput();
    const env = { GITHUB_ACTIONS: "true", GITHUB_OUTPUT: file };
    await releaseApps(context(["deploy", "--env", "staging"], env), project, target, [
      input("api"),
      input("web"),
    ]);
    await releaseApps(context(["deploy", "api", "--dry-run"], env), project, target, [
      input("api"),
    ]);
    expect(readFileSync(file, "utf8")).toBe("");
  });
});

describe("releaseApps' summary line", () => {
  it.each([
    [
      ["deploy", "api", "--env", "staging"],
      {},
      "api: https://api.staging.example.com  (abc, traffic after 1.0s)",
    ],
    [
      ["deploy", "api", "--env", "staging", "--no-wait"],
      { waited: false, secondsToTraffic: undefined },
      // Was "traffic after 0.0s": nothing was measured, the release was only started.
      "api: https://api.staging.example.com  (abc, started, not waited for)",
    ],
  ])("%j", async (argv, result, line) => {
    const ctx = context(argv, {});
    const started = {
      release: async (i: ReleaseInput, o: { dryRun: boolean }) => ({
        ...(await target.release(i, { ...o, timeoutMs: 1, signal: ctx.signal })),
        ...result,
      }),
    } as unknown as Target;
    await releaseApps(ctx, project, started, [input("api")]);
    expect((ctx.reporter as ReturnType<typeof memoryReporter>).lines).toEqual([line]);
  });
});

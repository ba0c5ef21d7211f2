import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RepoCopy } from "@repo/test-kit/repo-copy";
import { afterEach, describe, expect, it } from "vitest";
import { type AskResult, type Io, main, mergeAnswers, parseOptions } from "../main.js";
import { currentAnswers } from "../setup.js";
import { fileHashes, readJson, templateCopy } from "./support.js";

const copies: RepoCopy[] = [];
afterEach(() => {
  for (const made of copies.splice(0)) made.remove();
});
function copy(): RepoCopy {
  const made = templateCopy();
  copies.push(made);
  return made;
}

const FLAGS = [
  "--project=acme",
  "--domain=acme.dev",
  "--hosted-zone-id=Z0123456789ABCDEFGHIJ",
  "--account=123456789012",
  "--region=eu-central-1",
  "--environments=staging,prod",
  "--github=acme-co/platform",
];

/** Runs `npm run setup -- <argv>` in-process in `cwd`; commands it would run are recorded. */
async function setup(cwd: string, argv: string[], io: Partial<Io> = {}) {
  let out = "";
  let err = "";
  const commands: string[] = [];
  const code = await main(argv, {
    cwd,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    interactive: false,
    run: (command, args) => {
      commands.push([command, ...args].join(" "));
      return 0;
    },
    ...io,
  });
  return { code, out, err, commands };
}

describe("npm run setup --yes", () => {
  it("applies the flags, then a second run with the same flags changes nothing", async () => {
    const repo = copy();
    const first = await setup(repo.dir, ["--yes", ...FLAGS]);
    expect(first).toMatchObject({ code: 0, err: "", commands: [] });
    expect(first.out).toMatch(/write {2}platform\.config\.json {2}\(the platform config\)/);
    expect(first.out).toMatch(/Next \(README, Start here\)/);
    // The next command configures the GitHub environments the roles trust (packages/ci).
    expect(first.out).toContain(
      "npm run github -w @repo/ci -- --apply --reviewer prod=<login> --reviewer prod-infra=<login>",
    );
    const before = fileHashes(repo.dir);

    const second = await setup(repo.dir, ["--yes", ...FLAGS]);
    expect(second).toMatchObject({ code: 0, err: "" });
    expect(second.out).toBe("Nothing to change: the repository already has these answers.\n");
    expect(fileHashes(repo.dir)).toEqual(before);
  });

  it("takes what no flag gives from the current config", async () => {
    const repo = copy();
    expect((await setup(repo.dir, ["--yes", ...FLAGS])).code).toBe(0);
    const { code } = await setup(repo.dir, ["--yes", "--project=acme2"]);
    expect(code).toBe(0);
    expect(readJson(repo.dir, "platform.config.json")).toMatchObject({
      project: "acme2",
      domain: "acme.dev",
    });
  });

  it("a required answer in neither flags nor config: exit 2, naming the flag", async () => {
    // GIVEN a config without github
    const repo = copy();
    repo.editJson("platform.config.json", (config) => {
      delete config.github;
    });
    const before = fileHashes(repo.dir);

    // WHEN / THEN
    const result = await setup(repo.dir, ["--yes", "--project=acme"]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      "--github = (missing): is required. Fix: pass --github <owner/repo> (or run without --yes to be asked)\n",
    );
    expect(fileHashes(repo.dir)).toEqual(before);
  });

  it("a bad answer: exit 2 with the field, the value and the fix, nothing changed", async () => {
    const repo = copy();
    const result = await setup(repo.dir, ["--yes", ...FLAGS, "--hosted-zone-id", "acme.dev"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /^--hosted-zone-id = "acme\.dev": is not a Route 53 hosted zone id\. Fix: use the Route 53 hosted zone id of the domain: "Z" and up to 32/,
    );
    expect(readJson(repo.dir, "platform.config.json").project).toBe("platform");
  });

  it("--dry-run prints the plan and changes nothing", async () => {
    const repo = copy();
    const before = fileHashes(repo.dir);
    const result = await setup(repo.dir, ["--yes", ...FLAGS, "--remove-samples", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Would change:\n/);
    expect(result.out).toMatch(/remove apps\/api\/ {2}\(the sample app api\)/);
    expect(result.out).toMatch(/Dry run: nothing was changed\.\n$/);
    expect(result.commands).toEqual([]);
    expect(fileHashes(repo.dir)).toEqual(before);
  });

  it("--remove-samples then runs npm install and regenerates the workflows", async () => {
    const repo = copy();
    const result = await setup(repo.dir, ["--yes", ...FLAGS, "--remove-samples"]);
    expect(result.code).toBe(0);
    const scripts = readJson(repo.dir, "package.json").scripts;
    expect(result.commands).toEqual([
      "npm install --no-audit --no-fund",
      ...(scripts.workflows ? ["npm run workflows"] : []),
    ]);
  });

  it("a failing npm install: exit 1 and what to run by hand", async () => {
    const repo = copy();
    const result = await setup(repo.dir, ["--yes", ...FLAGS, "--remove-samples"], {
      run: () => 1,
    });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/npm install failed .*run `npm install`, then `npm run workflows`/);
  });
});

describe("arguments", () => {
  it.each([
    [["--nope"], /Unknown option '--nope'.*Run `npm run setup -- --help`/],
    [["acme"], /Unexpected argument "acme": every answer is a flag, e\.g\. --project acme/],
    [["--env-account", "prod"], /--env-account = "prod": is not <env>=<value>/],
  ])("%j: exit 2 with the fix", async (argv, expected) => {
    const repo = copy();
    const result = await setup(repo.dir, argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(expected);
  });

  it("without --yes and without a terminal: exit 2, how to run it unattended", async () => {
    const repo = copy();
    const result = await setup(repo.dir, FLAGS);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/No terminal to ask in .*pass --yes and the answers as flags/);
  });

  it("a malformed platform.config.json: exit 2 naming the file and the fix, nothing changed", async () => {
    const repo = copy();
    writeFileSync(path.join(repo.dir, "platform.config.json"), '{ "project": "platform", }\n');
    const before = fileHashes(repo.dir);
    const result = await setup(repo.dir, ["--yes", ...FLAGS]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /^platform\.config\.json: \(file\) = .+: is not valid JSON\. Fix: correct it \(JSON has no comments or trailing commas/,
    );
    expect(fileHashes(repo.dir)).toEqual(before);
  });

  it("outside a repository: exit 2, where to run it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "setup-outside-"));
    try {
      const result = await setup(dir, ["--yes", ...FLAGS]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(
        /^platform\.config\.json: .*was not found in this directory or any parent directory\. Fix: run the command inside the repository/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--help prints the flags", async () => {
    const result = await setup("/", ["--help"]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/--hosted-zone-id <id>/);
  });

  it("a flag answers its question for every environment, unless --env-* says otherwise", () => {
    const repo = copy();
    const current = currentAnswers(repo.dir);
    // the template's staging has an account and zone of its own
    expect(current.overrides?.staging).toEqual({
      account: "111111111111",
      hostedZoneId: "Z0000000000STAGING",
    });
    const merged = mergeAnswers(
      current,
      parseOptions(["--account=123456789012", "--env-region=prod=us-east-1"]),
    );
    expect(merged.overrides).toEqual({
      staging: { hostedZoneId: "Z0000000000STAGING" },
      prod: { region: "us-east-1" },
    });
  });
});

describe("interactive", () => {
  it("asks with the current config as defaults, shows the plan and applies it once confirmed", async () => {
    const repo = copy();
    let seen: unknown;
    let planned: string[] = [];
    const ask = async (defaults: unknown): Promise<AskResult> => {
      seen = defaults;
      return {
        answers: { ...currentAnswers(repo.dir), project: "acme", overrides: {} },
        removeSamples: false,
        confirm: async (changes) => {
          planned = changes.map((change) => change.file);
          return true;
        },
      };
    };
    const result = await setup(repo.dir, [], { interactive: true, ask });
    expect(result.code).toBe(0);
    expect(seen).toMatchObject({ project: "platform", domain: "example.com" });
    expect(planned).toEqual(
      expect.arrayContaining(["platform.config.json", "package.json", "package-lock.json"]),
    );
    expect(readJson(repo.dir, "platform.config.json").project).toBe("acme");
  });

  it("changes nothing when the plan is declined", async () => {
    const repo = copy();
    const before = fileHashes(repo.dir);
    const result = await setup(repo.dir, [], {
      interactive: true,
      ask: async () => ({
        answers: { ...currentAnswers(repo.dir), project: "acme" },
        removeSamples: true,
        confirm: async () => false,
      }),
    });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Nothing was changed\.\n$/);
    expect(fileHashes(repo.dir)).toEqual(before);
  });

  it("Ctrl-C at a prompt: exit 130, nothing changed", async () => {
    const repo = copy();
    const interrupted = Object.assign(new Error("User force closed the prompt"), {
      name: "ExitPromptError",
    });
    const result = await setup(repo.dir, [], {
      interactive: true,
      ask: () => Promise.reject(interrupted),
    });
    expect(result.code).toBe(130);
    expect(result.err).toMatch(/Interrupted: nothing was changed/);
  });
});

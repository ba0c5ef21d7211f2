import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors.js";
import { parseArgv, parseDuration } from "../parse.js";

const defaults = {
  env: "local",
  json: false,
  dryRun: false,
  allowDirty: false,
  wait: true,
  timeoutMs: undefined,
  to: undefined,
  configFile: undefined,
  archive: undefined,
  archiveSha256: undefined,
  imageIds: undefined,
};

const HEX = "ab".repeat(32);
const ID = `sha256:${"cd".repeat(32)}`;

describe("parseArgv", () => {
  it.each([
    [["build"], { command: "build", apps: [], options: defaults }],
    [["build", "api", "web"], { command: "build", apps: ["api", "web"], options: defaults }],
    [
      ["push", "api", "--env", "staging"],
      { command: "push", apps: ["api"], options: { ...defaults, env: "staging" } },
    ],
    [
      ["release", "-e", "prod", "api"],
      { command: "release", apps: ["api"], options: { ...defaults, env: "prod" } },
    ],
    [
      ["deploy", "--json", "--dry-run", "--allow-dirty"],
      {
        command: "deploy",
        apps: [],
        options: { ...defaults, json: true, dryRun: true, allowDirty: true },
      },
    ],
    [
      ["deploy", "api", "--timeout", "90s"],
      { command: "deploy", apps: ["api"], options: { ...defaults, timeoutMs: 90_000 } },
    ],
    [
      ["status", "--config", "other.json"],
      { command: "status", apps: [], options: { ...defaults, configFile: "other.json" } },
    ],
    [
      ["rollback", "api", "--to", "3f2a9c1"],
      { command: "rollback", apps: ["api"], options: { ...defaults, to: "3f2a9c1" } },
    ],
    [["down", "--env", "local"], { command: "down", apps: [], options: defaults }],
    [
      ["release", "api", "-e", "prod", "--no-wait"],
      { command: "release", apps: ["api"], options: { ...defaults, env: "prod", wait: false } },
    ],
    [
      ["reconcile", "--env", "prod"],
      { command: "reconcile", apps: [], options: { ...defaults, env: "prod" } },
    ],
    [
      ["reconcile", "api", "web", "--env", "prod", "--no-wait", "--timeout", "20m"],
      {
        command: "reconcile",
        apps: ["api", "web"],
        options: { ...defaults, env: "prod", wait: false, timeoutMs: 1_200_000 },
      },
    ],
    [
      ["releases", "api", "--env", "prod"],
      { command: "releases", apps: ["api"], options: { ...defaults, env: "prod" } },
    ],
    [
      ["diagnose", "web", "--env", "staging"],
      { command: "diagnose", apps: ["web"], options: { ...defaults, env: "staging" } },
    ],
    [
      ["build", "api", "--archive", "api.tar"],
      { command: "build", apps: ["api"], options: { ...defaults, archive: "api.tar" } },
    ],
    [
      ["push", "api", "--env", "prod", "--archive", "/tmp/image/api.tar"],
      {
        command: "push",
        apps: ["api"],
        options: { ...defaults, env: "prod", archive: "/tmp/image/api.tar" },
      },
    ],
    [
      ["deploy", "api", "-e", "staging", "--archive=api.tar"],
      {
        command: "deploy",
        apps: ["api"],
        options: { ...defaults, env: "staging", archive: "api.tar" },
      },
    ],
    [
      ["release", "api", "--archive", "api.tar"],
      { command: "release", apps: ["api"], options: { ...defaults, archive: "api.tar" } },
    ],
    [
      [
        "deploy",
        "api",
        "--archive",
        "a.tar",
        "--archive-sha256",
        HEX.toUpperCase(),
        "--image-id",
        ID,
      ],
      {
        command: "deploy",
        apps: ["api"],
        options: { ...defaults, archive: "a.tar", archiveSha256: HEX, imageIds: [ID] },
      },
    ],
    [
      ["push", "--archive", "a.tar", `--image-id=${ID},${ID.replace("cd", "ef")}`],
      {
        command: "push",
        apps: [],
        options: { ...defaults, archive: "a.tar", imageIds: [ID, ID.replace("cd", "ef")] },
      },
    ],
  ])("%j", (argv, expected) => {
    expect(parseArgv(argv)).toEqual({ kind: "run", ...expected });
  });

  it.each([[[]], [["--help"]], [["-h"]], [["help"]], [["deploy", "--help"]]])(
    "%j prints help",
    (argv) => {
      const parsed = parseArgv(argv);
      expect(parsed.kind).toBe("help");
      expect(parsed.kind === "help" && parsed.text).toContain("Usage: deploy-kit <command>");
    },
  );

  it("--version", () => {
    expect(parseArgv(["--version"])).toEqual({ kind: "version" });
  });

  it.each([
    [
      ["ship"],
      /Unknown command "ship". Commands: build, push, release, deploy, status, rollback, releases, diagnose, reconcile, down/,
    ],
    [["deploy", "--envv", "x"], /Unknown option '--envv'.*deploy-kit --help/],
    [["deploy", "--env"], /--env.*argument missing|argument/],
    [["rollback"], /rollback takes exactly one app \(got none\)/],
    [["releases"], /releases takes exactly one app \(got none\)/],
    [["diagnose", "api", "web"], /diagnose takes exactly one app \(got api web\)/],
    [["rollback", "api", "web"], /rollback takes exactly one app \(got api web\)/],
    [["deploy", "--to", "abc"], /--to only applies to rollback/],
    [["down", "api"], /down takes no app/],
    [["deploy", "--timeout", "soon"], /--timeout "soon" is not a duration/],
    [
      ["status", "--archive", "api.tar"],
      /--archive only applies to build, push, release, deploy \(got it with status\)/,
    ],
    [["rollback", "api", "--archive", "api.tar"], /--archive only applies to .*rollback/],
    [["build", "--archive"], /--archive.*argument missing|argument/],
    [["build", "--archive="], /--archive needs a file name/],
    [
      ["build", "--archive", "a.tar", "--archive-sha256", HEX],
      /--archive-sha256 only applies to push, release, deploy with --archive \(got it with build\)/,
    ],
    [["status", "--image-id", ID], /--image-id only applies to push, release, deploy/],
    [
      ["deploy", "api", "--image-id", ID],
      /--image-id checks an image archive: give the archive too/,
    ],
    [
      ["deploy", "--archive", "a.tar", "--archive-sha256", "abc"],
      /--archive-sha256 "abc" is not a SHA-256: give the 64 hex digits/,
    ],
    [
      ["deploy", "--archive", "a.tar", "--image-id", "abc123"],
      /--image-id "abc123" is not an image id: give the sha256:<64 hex digits> id/,
    ],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseArgv(argv)).toThrow(UsageError);
    expect(() => parseArgv(argv)).toThrow(message);
  });
});

describe("parseDuration", () => {
  it.each([
    ["90", 90_000],
    ["90s", 90_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["500ms", 500],
    ["1.5m", 90_000],
  ])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("refuses zero", () => {
    expect(() => parseDuration("0s")).toThrow(/above zero/);
  });
});

import { captureOutput } from "@repo/test-kit/capture";
import { describe, expect, it } from "vitest";
import { DeployError, InterruptedError } from "../../errors.js";
import { type CommandModule, main } from "../main.js";

function io(module?: Partial<CommandModule> | (() => Promise<never>)) {
  const output = captureOutput();
  const { stdout, stderr } = output;
  const loaded: string[] = [];
  return {
    loaded,
    get out() {
      return output.out;
    },
    get err() {
      return output.err;
    },
    io: {
      stdout,
      stderr,
      cwd: "/repo",
      env: {},
      signal: new AbortController().signal,
      version: "1.2.3",
      load: async (name: string) => {
        loaded.push(name);
        if (typeof module === "function") return module();
        return { run: async () => ({ apps: [] }), ...module } as CommandModule;
      },
    },
  };
}

const fail = (error: unknown) => ({
  run: async () => {
    throw error;
  },
});

describe("main", () => {
  it("prints help without loading any command", async () => {
    const t = io();
    expect(await main(["--help"], t.io)).toBe(0);
    expect(t.out).toContain("Usage: deploy-kit");
    expect(t.loaded).toEqual([]);
  });

  it("prints the version", async () => {
    const t = io();
    expect(await main(["--version"], t.io)).toBe(0);
    expect(t.out).toBe("1.2.3\n");
  });

  it("runs the command with the parsed options", async () => {
    let seen: unknown;
    const t = io({
      run: async (context) => {
        seen = { apps: context.apps, env: context.options.env, cwd: context.cwd };
        return { apps: [{ app: "api" }] };
      },
    });
    expect(await main(["deploy", "api", "--env", "local"], t.io)).toBe(0);
    expect(t.loaded).toEqual(["deploy"]);
    expect(seen).toEqual({ apps: ["api"], env: "local", cwd: "/repo" });
    expect(t.out).toBe("");
  });

  it("--json prints one result object on stdout", async () => {
    const t = io({
      run: async () => ({ apps: [{ app: "api", url: "http://api.localhost:8080" }] }),
    });
    expect(await main(["status", "--json"], t.io)).toBe(0);
    const lines = t.out.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual({
      ok: true,
      command: "status",
      env: "local",
      apps: [{ app: "api", url: "http://api.localhost:8080" }],
    });
  });

  it.each([
    ["a usage error", ["ship"], undefined, 2, "usage", /Unknown command "ship"/],
    [
      "a config error",
      ["deploy"],
      Object.assign(new Error('platform.config.json: project = "A": bad'), { name: "ConfigError" }),
      2,
      "config",
      /platform.config.json: project/,
    ],
    [
      "a failed release",
      ["deploy"],
      new DeployError("api did not become healthy", {
        details: ["boom"],
        hint: "look at the logs",
      }),
      1,
      "failed",
      /api did not become healthy/,
    ],
    [
      "a DeployError with exit 2",
      ["deploy"],
      new DeployError("bad tree", { exitCode: 2 }),
      2,
      "config",
      /bad tree/,
    ],
    [
      "an interruption",
      ["deploy"],
      new InterruptedError("Interrupted: nothing changed"),
      130,
      "interrupted",
      /Interrupted: nothing changed/,
    ],
    [
      "an unexpected error",
      ["deploy"],
      new TypeError("x is undefined"),
      1,
      "unexpected",
      /Unexpected error: x is undefined/,
    ],
    [
      // Was "Unexpected error: connect ECONNREFUSED ..." with no hint.
      "an AWS endpoint that refuses connections",
      ["status", "--env", "prod"],
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), { code: "ECONNREFUSED" }),
      1,
      "failed",
      /Cannot reach AWS's public endpoint for the region: connect ECONNREFUSED 127\.0\.0\.1:4566\./,
    ],
  ])("%s exits %#", async (_name, argv, error, code, kind, message) => {
    const t = io(error ? fail(error) : undefined);
    expect(await main([...argv, "--json"], t.io)).toBe(code);
    const result = JSON.parse(t.out.trim());
    expect(result).toMatchObject({ ok: false, exitCode: code, error: { kind } });
    expect(result.error.message).toMatch(message);
    expect(t.err).toMatch(message);
    expect(t.err).not.toMatch(/\n\s+at /);
  });

  it("shows details and the hint of a failure, and no stack", async () => {
    const t = io(
      fail(
        new DeployError("api did not become healthy", {
          details: ["last log line"],
          hint: "run it yourself",
        }),
      ),
    );
    expect(await main(["deploy"], t.io)).toBe(1);
    expect(t.err).toContain("✗ api did not become healthy");
    expect(t.err).toContain("    last log line");
    expect(t.err).toContain("  → run it yourself");
    expect(t.out).toBe("");
  });
});

describe("main when interrupted", () => {
  it("turns any failure after Ctrl-C into exit 130", async () => {
    const t = io(fail(new DeployError("docker build failed (exit 130)")));
    const controller = new AbortController();
    controller.abort();
    expect(await main(["deploy"], { ...t.io, signal: controller.signal })).toBe(130);
    expect(t.err).toContain("Interrupted: docker build failed (exit 130)");
  });
});

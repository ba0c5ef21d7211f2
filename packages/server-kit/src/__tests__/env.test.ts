import { describe, expect, it } from "vitest";
import {
  baseEnvShape,
  ConfigError,
  httpUrl,
  loadEnv,
  originList,
  SHUTDOWN_BUDGET_MS,
} from "../env.js";

describe("loadEnv", () => {
  it("fills the defaults", () => {
    const env = loadEnv(baseEnvShape, {});
    expect(env).toEqual({
      NODE_ENV: "production",
      PORT: 8080,
      LOG_LEVEL: "info",
      APP_VERSION: "0.0.0-dev",
      GIT_COMMIT: "unknown",
      DEPLOY_ENV: "development",
      SHUTDOWN_TIMEOUT_MS: 10_000,
      SHUTDOWN_DRAIN_MS: 15_000,
      SHUTDOWN_DRAIN_ENDS_WHEN_IDLE: false,
    });
  });

  it("fits the default drain and in-flight time inside ECS's 30 s stop timeout", () => {
    const env = loadEnv(baseEnvShape, {});
    expect(env.SHUTDOWN_DRAIN_MS + env.SHUTDOWN_TIMEOUT_MS).toBeLessThanOrEqual(SHUTDOWN_BUDGET_MS);
    expect(SHUTDOWN_BUDGET_MS).toBeLessThan(30_000);
  });

  it("reads the drain settings", () => {
    const env = loadEnv(baseEnvShape, {
      SHUTDOWN_DRAIN_MS: "5000",
      SHUTDOWN_DRAIN_ENDS_WHEN_IDLE: "true",
    });
    expect(env.SHUTDOWN_DRAIN_MS).toBe(5_000);
    expect(env.SHUTDOWN_DRAIN_ENDS_WHEN_IDLE).toBe(true);
  });

  it("refuses a drain that leaves no room in the stop timeout, naming what was set", () => {
    expect(() => loadEnv(baseEnvShape, { SHUTDOWN_DRAIN_MS: "20000" })).toThrow(
      /SHUTDOWN_DRAIN_MS="20000": with SHUTDOWN_TIMEOUT_MS=10000 a shutdown may take 30 s, more than the 25 s .*Set SHUTDOWN_DRAIN_MS to milliseconds to keep serving/,
    );
    expect(() => loadEnv(baseEnvShape, { SHUTDOWN_TIMEOUT_MS: "20000" })).toThrow(
      /SHUTDOWN_TIMEOUT_MS="20000": with SHUTDOWN_DRAIN_MS=15000 a shutdown may take 35 s/,
    );
    expect(
      loadEnv(baseEnvShape, { SHUTDOWN_DRAIN_MS: "0", SHUTDOWN_TIMEOUT_MS: "25000" }),
    ).toMatchObject({ SHUTDOWN_DRAIN_MS: 0, SHUTDOWN_TIMEOUT_MS: 25_000 });
  });

  it("refuses a drain switch that is not true or false", () => {
    expect(() => loadEnv(baseEnvShape, { SHUTDOWN_DRAIN_ENDS_WHEN_IDLE: "yes" })).toThrow(
      /SHUTDOWN_DRAIN_ENDS_WHEN_IDLE="yes": .*Set SHUTDOWN_DRAIN_ENDS_WHEN_IDLE to true to end the drain/,
    );
  });

  it("coerces numbers", () => {
    expect(loadEnv(baseEnvShape, { PORT: "3000" }).PORT).toBe(3000);
  });

  it("names the variable, its value and the fix", () => {
    expect(() => loadEnv(baseEnvShape, { PORT: "eighty" })).toThrow(
      /PORT="eighty": .*Set PORT to a TCP port between 1 and 65535, for example 8080\./,
    );
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      loadEnv(baseEnvShape, { PORT: "70000", LOG_LEVEL: "loud", SHUTDOWN_TIMEOUT_MS: "60000" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^PORT="70000"/);
    expect(problems[1]).toMatch(/^LOG_LEVEL="loud": .*one of fatal, error, warn/);
    expect(problems[2]).toMatch(/^SHUTDOWN_TIMEOUT_MS="60000": .*ECS stops tasks after 30 s/);
  });

  it("shortens long values in messages", () => {
    expect(() => loadEnv(baseEnvShape, { DEPLOY_ENV: "x".repeat(200) })).toThrow(/x{77}\.\.\."/);
  });
});

describe("originList", () => {
  const shape = { ORIGINS: originList };

  it("splits, trims and drops empty items", () => {
    const env = loadEnv(shape, { ORIGINS: " https://a.example.com, http://localhost:5173 ,," });
    expect(env.ORIGINS).toEqual(["https://a.example.com", "http://localhost:5173"]);
  });

  it("is empty when unset", () => {
    expect(loadEnv(shape, {}).ORIGINS).toEqual([]);
  });

  it.each([
    ["https://a.example.com/", "a trailing slash"],
    ["https://a.example.com/path", "a path"],
    ["a.example.com", "no scheme"],
    ["ftp://a.example.com", "another scheme"],
  ])("refuses %s (%s)", (value) => {
    expect(() => loadEnv(shape, { ORIGINS: value })).toThrow(
      /ORIGINS=.*is not an origin.*Set ORIGINS to comma-separated origins/,
    );
  });
});

describe("httpUrl", () => {
  const shape = { URL: httpUrl };

  it("drops trailing slashes", () => {
    expect(loadEnv(shape, { URL: "https://api.example.com/" }).URL).toBe("https://api.example.com");
  });

  it("is required", () => {
    expect(() => loadEnv(shape, {})).toThrow(
      /URL=\(unset\): .*Set URL to an absolute http\(s\) URL/,
    );
  });

  it("refuses other schemes", () => {
    expect(() => loadEnv(shape, { URL: "javascript:alert(1)" })).toThrow(
      /URL="javascript:alert\(1\)"/,
    );
  });
});

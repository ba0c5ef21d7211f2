import { describe, expect, it } from "vitest";
import { readEnv } from "../env.js";

describe("readEnv", () => {
  it("reads the CORS origins and the release", () => {
    const env = readEnv({
      PORT: "9000",
      CORS_ORIGINS: "https://web.example.com",
      APP_VERSION: "2.0.0",
      GIT_COMMIT: "0123abc",
      DEPLOY_ENV: "prod",
    });
    expect(env).toMatchObject({
      PORT: 9000,
      CORS_ORIGINS: ["https://web.example.com"],
      APP_VERSION: "2.0.0",
      GIT_COMMIT: "0123abc",
      DEPLOY_ENV: "prod",
    });
  });

  it("allows no origin by default", () => {
    expect(readEnv({}).CORS_ORIGINS).toEqual([]);
  });

  it("refuses an origin with a path, naming the variable and the fix", () => {
    expect(() => readEnv({ CORS_ORIGINS: "https://web.example.com/app" })).toThrow(
      /CORS_ORIGINS="https:\/\/web.example.com\/app": .*Set CORS_ORIGINS to comma-separated origins/,
    );
  });
});

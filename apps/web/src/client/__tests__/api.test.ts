import { describe, expect, it, vi } from "vitest";
import { ApiError, loadApiStatus } from "../api.js";

const info = {
  name: "api",
  version: "1.0.0",
  commit: "abc",
  environment: "local",
  uptimeSeconds: 1,
};
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("loadApiStatus", () => {
  it("reads info and health", async () => {
    const fetchImpl = vi.fn(async (url: string | URL | Request) =>
      String(url).endsWith("/v1/info") ? json(200, info) : json(200, { status: "ok" }),
    );
    let clock = 100;
    const result = await loadApiStatus(
      "http://api.localhost:8080",
      fetchImpl as typeof fetch,
      () => (clock += 7),
    );
    expect(result).toEqual({ info, health: { healthy: true, status: 200, latencyMs: 7 } });
    expect(fetchImpl.mock.calls.map((call) => call[0])).toEqual([
      "http://api.localhost:8080/v1/info",
      "http://api.localhost:8080/healthz",
    ]);
  });

  it("reports an error answer with the api's message", async () => {
    const fetchImpl = vi.fn(async () =>
      json(500, { code: "internal_error", message: "Something went wrong on our side." }),
    );
    await expect(
      loadApiStatus("https://api.example.com", fetchImpl as typeof fetch),
    ).rejects.toThrow(
      "https://api.example.com/v1/info answered 500: Something went wrong on our side..",
    );
  });

  it("explains an unreachable api", async () => {
    const fetchImpl = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    const error = await loadApiStatus("https://api.example.com", fetchImpl as typeof fetch).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toMatch(
      /Could not reach https:\/\/api.example.com\/v1\/info: .*CORS_ORIGINS/,
    );
  });
});

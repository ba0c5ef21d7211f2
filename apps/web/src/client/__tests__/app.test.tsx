// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiStatus } from "../api.js";
import { App } from "../app.js";

afterEach(cleanup);

const status: ApiStatus = {
  info: {
    name: "api",
    version: "1.2.3",
    commit: "abc1234",
    environment: "staging",
    uptimeSeconds: 3725,
  },
  health: { healthy: true, status: 200, latencyMs: 12 },
};

describe("App", () => {
  it("shows loading, then the api's info and health", async () => {
    let resolve: (value: ApiStatus) => void = () => {};
    const load = vi.fn(() => new Promise<ApiStatus>((r) => (resolve = r)));
    render(<App apiUrl="https://api.example.com" environment="staging" load={load} />);

    expect(screen.getByRole("status").textContent).toBe("Loading…");
    resolve(status);

    expect((await screen.findByTestId("health")).textContent).toBe("healthy");
    expect(screen.getByTestId("api-environment").textContent).toBe("staging");
    expect(screen.getByTestId("api-info").textContent).toContain("1.2.3");
    expect(screen.getByTestId("api-info").textContent).toContain("1 h 2 min");
    expect(load).toHaveBeenCalledWith("https://api.example.com");
  });

  it("shows an unhealthy api with its status", async () => {
    const load = () =>
      Promise.resolve({ ...status, health: { healthy: false, status: 503, latencyMs: 3 } });
    render(<App apiUrl="https://api.example.com" environment="staging" load={load} />);
    expect((await screen.findByTestId("health")).textContent).toBe("unhealthy (503)");
  });

  it("shows the error and loads again on Refresh", async () => {
    const load = vi
      .fn<(url: string) => Promise<ApiStatus>>()
      .mockRejectedValueOnce(new Error("Could not reach https://api.example.com/v1/info"))
      .mockResolvedValueOnce(status);
    render(<App apiUrl="https://api.example.com" environment="staging" load={load} />);

    expect((await screen.findByRole("alert")).textContent).toContain("Could not reach");
    fireEvent.click(screen.getByRole("button", { name: "Refresh" }));
    expect((await screen.findByTestId("health")).textContent).toBe("healthy");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

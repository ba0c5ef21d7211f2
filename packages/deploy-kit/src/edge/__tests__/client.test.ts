import { afterEach, describe, expect, it } from "vitest";
import { EdgeAdminClient, EdgeAdminError } from "../client.js";
import { Cleanup, closeServer, listen, named, send, startEdge, TEST_TOKEN } from "./helpers.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe("EdgeAdminClient against the real admin listener", () => {
  it("drives every admin route", async () => {
    const { admin, proxy } = await startEdge(cleanup, { probeAllowed: () => true });
    const api = await listen(cleanup, named("api"));
    const client = new EdgeAdminClient(`${admin.url}/`, { token: TEST_TOKEN });

    expect(await client.health()).toEqual({ status: "ok" });
    expect(await client.replaceRoutes({ "web.localhost": "http://web-1:3000" })).toEqual({
      "web.localhost": "http://web-1:3000",
    });
    expect(await client.setRoute("api.localhost", api.url)).toEqual({
      host: "api.localhost",
      upstream: api.url,
      previous: null,
    });
    expect(await client.getRoutes()).toEqual({
      "api.localhost": api.url,
      "web.localhost": "http://web-1:3000",
    });
    await send(proxy.port, { host: "api.localhost" });
    expect((await client.stats())[api.url]).toEqual({ inFlight: 0, total: 1, tunnels: 0 });
    expect(await client.inFlight(api.url)).toBe(0);
    expect(await client.inFlight("http://never-seen:1")).toBe(0);
    expect(await client.probe(`${api.url}/healthz`, 1_000)).toMatchObject({
      ok: true,
      status: 200,
    });
    expect(await client.deleteRoute("web.localhost")).toEqual({
      host: "web.localhost",
      previous: "http://web-1:3000",
    });
    expect(await client.getRoutes()).toEqual({ "api.localhost": api.url });
  });

  it("throws the edge's message, status and code on a refusal", async () => {
    const { admin } = await startEdge(cleanup);
    const client = new EdgeAdminClient(admin.url, { token: TEST_TOKEN });

    const error = await client.setRoute("api.localhost", "ftp://x").catch((err: unknown) => err);

    expect(error).toBeInstanceOf(EdgeAdminError);
    expect(error).toMatchObject({ status: 400, code: "invalid_upstream" });
    expect((error as Error).message).toMatch(
      /refused PUT \/routes\/api\.localhost \(400 invalid_upstream\): upstream "ftp:\/\/x"/,
    );
  });

  it("says the edge is not reachable when nothing listens", async () => {
    const gone = await listen(cleanup, () => {});
    await closeServer(gone.server);
    const client = new EdgeAdminClient(gone.url, { token: TEST_TOKEN });

    await expect(client.health()).rejects.toThrow(
      /admin API at http:\/\/127\.0\.0\.1:\d+ is not reachable \(GET \/healthz\): .*ECONNREFUSED.*Is the edge container running\?/,
    );
  });

  it("gives up after its timeout", async () => {
    const stuck = await listen(cleanup, () => {});
    const client = new EdgeAdminClient(stuck.url, { token: TEST_TOKEN, timeoutMs: 100 });

    await expect(client.stats()).rejects.toThrow(/did not answer GET \/stats within 100 ms/);
  });
});

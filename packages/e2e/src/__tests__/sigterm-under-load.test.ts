import { freePort } from "@repo/test-kit/free-port";
import { RepoCopy } from "@repo/test-kit/repo-copy";
import { DOCKER_FIX, dockerMissing, toolGate } from "@repo/test-kit/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployKit } from "../deploy-kit-cli.js";
import { sigtermUnderLoad } from "../sigterm-under-load.js";

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);
const REGISTRY = process.env.REGISTRY ?? "127.0.0.1:5000";

describe.skipIf(!hasDocker)(
  "SIGTERM to the serving container under load, on the local platform",
  () => {
    let copy: RepoCopy | undefined;
    let port = 0;

    beforeAll(async () => {
      port = await freePort();
      copy = RepoCopy.create({ edgePort: port, local: { registry: REGISTRY } });
      const run = await deployKit(copy.dir, ["deploy", "api"]);
      if (run.code !== 0) throw new Error(`deploy failed: ${run.stderr}`);
    });

    afterAll(async () => {
      if (!copy) return;
      await deployKit(copy.dir, ["down"]);
      copy.remove();
    });

    it("fails no request through the edge: the old container serves until its replacement is routed", async () => {
      // Bounded: 4 clients, from just before the SIGTERM until the old container has exited (its
      // drain is at most SHUTDOWN_DRAIN_MS, 15 s locally) and the replacement serves.
      const run = await sigtermUnderLoad({
        cwd: copy?.dir ?? "",
        edgePort: port,
        app: "api",
        path: "/v1/info",
        concurrency: 4,
      });

      expect(run.failures).toEqual([]);
      expect(run.served).toBeGreaterThan(100);
      expect(run.exitCode).toBe("0");
      // The edge let go of the old container once the replacement was routed: its drain ended
      // there, not at its time limit.
      expect(run.drainEnded).toBe("no connection open");
      expect(run.secondsToExit).toBeLessThan(20);
    });
  },
);

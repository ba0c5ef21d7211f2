import { getEventListeners } from "node:events";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../clients.js";
import { watchDeployment } from "../watch.js";
import { resetAwsMocks } from "./fixtures/aws-mocks.js";
import { answerDescribeServices, done, NEW, rolling } from "./fixtures/release.js";
import { REGION } from "./fixtures/task-definition.js";

beforeEach(resetAwsMocks);

describe("watchDeployment", () => {
  it("leaves no listener on the signal after many polls of real (short) waits", async () => {
    answerDescribeServices(...Array.from({ length: 12 }, () => rolling(1, 1)), done);
    const controller = new AbortController();
    const outcome = await watchDeployment(
      {
        cluster: "platform-prod",
        service: "api",
        deploymentId: NEW,
        since: new Date(0),
        timeoutMs: 60_000,
        signal: controller.signal,
        checkTargets: false,
      },
      { clients: createAwsClients(REGION), minDelayMs: 1, maxDelayMs: 1 },
    );
    expect(outcome.kind).toBe("completed");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

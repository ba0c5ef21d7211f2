import { captureOutput } from "@repo/test-kit/capture";
import { describe, expect, it } from "vitest";
import { createReporter } from "../../output.js";
import { quietNodeSupportWarning } from "../clients.js";

describe("the AWS SDK's Node.js support warning", () => {
  it("on Node.js 20: turns the SDK's seven lines off and gives one line instead", () => {
    const env: Record<string, string | undefined> = {};
    const notice = quietNodeSupportWarning(env, "v20.20.2");
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe("true");
    expect(notice).toMatch(
      /^Node\.js v20\.20\.2: AWS SDK releases after January 2027 need Node\.js 22 or later/,
    );
    expect(notice).not.toContain("\n");
  });

  it.each([
    ["v22.11.0", {}],
    ["v24.11.1", {}],
    ["v20.20.2", { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" }],
  ])("on %s with %j: nothing to say, nothing changed", (version, given) => {
    const env: Record<string, string | undefined> = { ...given };
    expect(quietNodeSupportWarning(env, version)).toBeUndefined();
    expect(env).toEqual(given);
  });

  it("the notice is printed once, and never with --json", () => {
    for (const json of [false, true]) {
      const output = captureOutput();
      const reporter = createReporter({ json, stream: output.stderr, out: output.stdout });
      reporter.notice("Node.js v20: one line");
      reporter.notice("Node.js v20: one line");
      expect(output.err).toBe(json ? "" : "! Node.js v20: one line\n");
      expect(output.out).toBe("");
    }
  });
});

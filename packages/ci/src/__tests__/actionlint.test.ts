// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ ... }} here is GitHub Actions expressions, not a template
import { describe, expect, it } from "vitest";
import { formatProblems, lintWorkflow, withVersionTags } from "../actionlint.js";
import { readWorkflows } from "./support.js";

const workflows = readWorkflows();

describe("actionlint", () => {
  it("finds the workflows", () => {
    expect(workflows.map((w) => w.name)).toEqual(
      expect.arrayContaining(["ci.yml", "build.yml", "deploy.yml", "infra.yml", "release.yml"]),
    );
  });

  it.each(workflows.map((w) => [w.file, w] as const))("%s passes", async (file, workflow) => {
    // On failure the message lists each finding as file:line:column: message [kind].
    expect(formatProblems(await lintWorkflow(workflow.text, file))).toBe("");
  });

  it("catches real mistakes, so that passing means something", async () => {
    const broken = [
      "name: broken",
      "on: push",
      "jobs:",
      "  release:",
      "    runs-on: ubuntu-24.04",
      "    steps:",
      "      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0",
      "        with:",
      "          node-version-fil: .nvmrc",
      "      - run: echo ${{ steps.build.outputs.image }}",
      "      - run: echo '${{ github.event.pull_request.title }}'",
      "  after:",
      "    needs: nope",
      "    runs-on: ubuntu-24.04",
      "    steps:",
      "      - run: true",
      "",
    ].join("\n");
    const problems = await lintWorkflow(broken, ".github/workflows/broken.yml");
    expect(problems.map((p) => `${p.line}:${p.kind}`)).toEqual([
      "9:action",
      "10:expression",
      "11:expression",
      "12:job-needs",
    ]);
    expect(formatProblems(problems)).toMatch(
      /^\.github\/workflows\/broken\.yml:9:11: input "node-version-fil" is not defined in action "actions\/setup-node@v4"/m,
    );
  });
});

describe("withVersionTags", () => {
  it("reads a SHA-pinned action as its major version, on the same line", () => {
    const text = [
      "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
      "        uses: docker/setup-buildx-action@b5ca514318bd6ebac0fb2aedd5d36ec1b5c232a2 # v3.10.0",
      "      - uses: ./.github/workflows/build.yml",
      "      - uses: some/action@11bd71901bbe5b1630ceea73d27597364c9af683",
    ].join("\n");
    expect(withVersionTags(text).split("\n")).toEqual([
      "      - uses: actions/checkout@v4 # v4.2.2",
      "        uses: docker/setup-buildx-action@v3 # v3.10.0",
      "      - uses: ./.github/workflows/build.yml",
      "      - uses: some/action@11bd71901bbe5b1630ceea73d27597364c9af683",
    ]);
  });
});

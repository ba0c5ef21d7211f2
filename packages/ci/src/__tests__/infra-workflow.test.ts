import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { infraTriggerPaths, renderInfraWorkflow } from "../infra-workflow.js";
import { GENERATED_MARKER } from "../template.js";
import type { WorkspaceGraph } from "../workspace-graph.js";

const graph: WorkspaceGraph = {
  root: "/repo",
  workspaces: [
    { name: "@repo/infra", dir: "packages/infra", dependencies: ["@repo/platform-config"] },
    { name: "@repo/platform-config", dir: "packages/platform-config", dependencies: ["@repo/ts"] },
    { name: "@repo/ts", dir: "packages/ts", dependencies: [] },
    { name: "@repo/api", dir: "apps/api", dependencies: [] },
  ],
};

describe("infraTriggerPaths", () => {
  it("the CDK app, the workspaces it depends on, what it reads at the root, its workflows", () => {
    expect(infraTriggerPaths(graph)).toEqual([
      "packages/infra/**",
      "packages/platform-config/**",
      "packages/ts/**",
      "platform.config.json",
      "apps/*/deploy.json",
      "package-lock.json",
      ".github/workflows/infra.yml",
      ".github/workflows/infra-diff.yml",
      ".github/workflows/infra-comment.yml",
      ".github/workflows/infra-deploy.yml",
    ]);
  });

  it("no CDK app, no infra workflow", () => {
    expect(infraTriggerPaths({ root: "/repo", workspaces: [] })).toBeUndefined();
  });
});

describe("renderInfraWorkflow", () => {
  it("diffs every environment on pull requests and deploys them one after the other on main", () => {
    const text = renderInfraWorkflow(["packages/infra/**"], ["staging", "qa", "prod"]);
    expect(text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
    const doc = parse(text);
    expect(doc.on.pull_request.paths).toEqual(["packages/infra/**"]);
    expect(doc.on.push).toEqual({ branches: ["main"], paths: ["packages/infra/**"] });
    expect(doc.jobs.diff.strategy.matrix.environment).toEqual(["staging", "qa", "prod"]);
    expect(doc.jobs.comment.needs).toBe("diff");
    expect(Object.keys(doc.jobs)).toEqual([
      "diff",
      "comment",
      "deploy-staging",
      "deploy-qa",
      "deploy-prod",
    ]);
    expect(doc.jobs["deploy-staging"].needs).toBeUndefined();
    expect(doc.jobs["deploy-qa"]).toMatchObject({
      needs: "deploy-staging",
      uses: "./.github/workflows/infra-deploy.yml",
      with: { environment: "qa" },
    });
    expect(doc.jobs["deploy-prod"].needs).toBe("deploy-qa");
  });
});

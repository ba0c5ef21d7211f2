// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ ... }} here is GitHub Actions expressions
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type AppWorkflowInput,
  appOfWorkflowFile,
  appTriggerPaths,
  appWorkflowInput,
  renderAppWorkflow,
} from "../app-workflow.js";
import { GENERATED_MARKER } from "../template.js";
import type { WorkspaceGraph } from "../workspace-graph.js";

const graph: WorkspaceGraph = {
  root: "/repo",
  workspaces: [
    { name: "@repo/shop", dir: "apps/shop", dependencies: ["@repo/ui"] },
    { name: "@repo/ui", dir: "packages/ui", dependencies: ["@repo/tokens"] },
    { name: "@repo/tokens", dir: "packages/tokens", dependencies: [] },
    { name: "@repo/unrelated", dir: "packages/unrelated", dependencies: [] },
  ],
};

const shop = (environments: string[]): AppWorkflowInput =>
  appWorkflowInput(
    graph,
    { name: "shop", packageName: "@repo/shop", dir: "apps/shop" },
    environments,
  );

describe("appTriggerPaths", () => {
  it("the app's folder, every workspace it depends on (transitively), the root files, the pipeline", () => {
    expect(appTriggerPaths(shop(["staging"]))).toEqual({
      workspaces: ["apps/shop/**", "packages/tokens/**", "packages/ui/**"],
      root: [
        "package.json",
        "package-lock.json",
        "turbo.json",
        ".nvmrc",
        ".dockerignore",
        "platform.config.json",
      ],
      workflows: [
        ".github/workflows/deploy-shop.yml",
        ".github/workflows/build.yml",
        ".github/workflows/deploy.yml",
      ],
    });
  });

  it("an app whose package is no workspace is an error", () => {
    expect(() =>
      appWorkflowInput(graph, { name: "x", packageName: "@repo/x", dir: "apps/x" }, []),
    ).toThrow(/apps\/x\/package.json names "@repo\/x", but no workspace of that name/);
  });
});

describe("renderAppWorkflow", () => {
  it("builds once, then releases to each environment after the one before", () => {
    const text = renderAppWorkflow(shop(["staging", "qa", "prod"]));
    expect(text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
    const doc = parse(text);
    expect(doc.name).toBe("deploy shop");
    expect(doc.on.push).toEqual({
      branches: ["main"],
      paths: [
        "apps/shop/**",
        "packages/tokens/**",
        "packages/ui/**",
        "package.json",
        "package-lock.json",
        "turbo.json",
        ".nvmrc",
        ".dockerignore",
        "platform.config.json",
        ".github/workflows/deploy-shop.yml",
        ".github/workflows/build.yml",
        ".github/workflows/deploy.yml",
      ],
    });
    expect(doc.on.workflow_dispatch.inputs.environment).toMatchObject({
      type: "choice",
      options: ["staging", "qa", "prod"],
      default: "staging",
    });
    expect(doc.permissions).toEqual({ contents: "read" });
    // Built for the app's architecture in the first environment, then promoted.
    expect(doc.jobs.build).toEqual({
      name: "build",
      uses: "./.github/workflows/build.yml",
      with: { app: "shop", environment: "staging" },
    });
    expect(Object.keys(doc.jobs)).toEqual(["build", "deploy-staging", "deploy-qa", "deploy-prod"]);
    expect(doc.jobs["deploy-staging"]).toEqual({
      name: "staging",
      needs: "build",
      uses: "./.github/workflows/deploy.yml",
      permissions: { contents: "read", "id-token": "write" },
      with: {
        app: "shop",
        environment: "staging",
        // what deploy.yml checks the downloaded archive against
        "archive-sha256": "${{ needs.build.outputs.archive-sha256 }}",
        "image-id": "${{ needs.build.outputs.image-id }}",
      },
    });
    // build too: only a job that needs build sees its outputs.
    expect(doc.jobs["deploy-qa"].needs).toEqual(["build", "deploy-staging"]);
    expect(doc.jobs["deploy-qa"].if).toBe(
      `github.event_name != 'workflow_dispatch' || contains(fromJSON('["qa","prod"]'), inputs.environment)`,
    );
    expect(doc.jobs["deploy-prod"].needs).toEqual(["build", "deploy-qa"]);
    expect(doc.jobs["deploy-prod"].if).toContain(`fromJSON('["prod"]')`);
  });

  it("with no AWS environment yet: only the build, and a run by hand has nothing to choose", () => {
    const doc = parse(renderAppWorkflow(shop([])));
    expect(Object.keys(doc.jobs)).toEqual(["build"]);
    expect(doc.on.workflow_dispatch).toBeNull();
  });

  it("keeps every comment line within 100 characters", () => {
    const text = renderAppWorkflow(shop(["staging", "prod"]));
    const long = text.split("\n").filter((line) => line.startsWith("#") && line.length > 100);
    expect(long).toEqual([]);
  });
});

describe("appOfWorkflowFile", () => {
  it.each([
    ["deploy-api.yml", "api"],
    ["deploy-my-app.yaml", "my-app"],
    ["deploy.yml", undefined],
    ["ci.yml", undefined],
  ])("%s → %s", (file, app) => {
    expect(appOfWorkflowFile(file)).toBe(app);
  });
});

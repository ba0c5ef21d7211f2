import { describe, expect, it } from "vitest";
import { DeployError } from "../../errors.js";
import { diffTaskDefinitions, renderTaskDefinition } from "../task-definition.js";
import { apiTaskDefinition, apiTaskTags, REPO_URI } from "./fixtures/task-definition.js";

const NEW_IMAGE = `${REPO_URI}@sha256:${"b".repeat(64)}`;
const change = {
  container: "api",
  image: NEW_IMAGE,
  commit: "2".repeat(40),
  version: "0.2.0",
  tag: "222222222222",
};

describe("renderTaskDefinition", () => {
  it("keeps every field of the current revision but the image and the release metadata", () => {
    const current = apiTaskDefinition();
    const next = renderTaskDefinition(current, apiTaskTags, change);

    // Everything AWS accepts back is kept as it was...
    expect(next.family).toBe(current.family);
    expect(next.taskRoleArn).toBe(current.taskRoleArn);
    expect(next.executionRoleArn).toBe(current.executionRoleArn);
    expect(next.networkMode).toBe("awsvpc");
    expect(next.cpu).toBe("256");
    expect(next.memory).toBe("512");
    expect(next.requiresCompatibilities).toEqual(["FARGATE"]);
    expect(next.runtimePlatform).toEqual(current.runtimePlatform);
    const [container] = next.containerDefinitions ?? [];
    const [before] = current.containerDefinitions ?? [];
    expect({ ...container, image: undefined, environment: undefined }).toEqual({
      ...before,
      image: undefined,
      environment: undefined,
    });
    // ...AWS's bookkeeping is not sent back...
    for (const field of [
      "taskDefinitionArn",
      "revision",
      "status",
      "requiresAttributes",
      "compatibilities",
      "registeredAt",
      "registeredBy",
    ]) {
      expect(next).not.toHaveProperty(field);
    }
    // ...and only these change.
    expect(
      diffTaskDefinitions({ ...current, tags: apiTaskTags }, next).filter(
        (line) =>
          !/^- (taskDefinitionArn|revision|status|requiresAttributes|compatibilities|registeredAt|registeredBy)/.test(
            line,
          ),
      ),
    ).toEqual([
      `- containerDefinitions[api].environment[APP_VERSION].value: "0.1.0"`,
      `+ containerDefinitions[api].environment[APP_VERSION].value: "0.2.0"`,
      `- containerDefinitions[api].environment[GIT_COMMIT].value: "${"1".repeat(40)}"`,
      `+ containerDefinitions[api].environment[GIT_COMMIT].value: "${"2".repeat(40)}"`,
      `- containerDefinitions[api].image: "${REPO_URI}@sha256:${"a".repeat(64)}"`,
      `+ containerDefinitions[api].image: "${NEW_IMAGE}"`,
      `- tags[2].value: "${"1".repeat(40)}"`,
      `+ tags[2].value: "${"2".repeat(40)}"`,
      `- tags[3].value: "0.1.0"`,
      `+ tags[3].value: "0.2.0"`,
      `- tags[4].value: "111111111111"`,
      `+ tags[4].value: "222222222222"`,
      // A new revision's outcome is not known yet: the current one's is not copied.
      `- tags[5].key: "deploy-kit:outcome"`,
      `- tags[5].value: "succeeded"`,
    ]);
  });

  it("does not change the current revision it was given", () => {
    const current = apiTaskDefinition();
    const copy = structuredClone(current);
    renderTaskDefinition(current, apiTaskTags, change);
    expect(current).toEqual(copy);
  });

  it("adds the release variables when the container has none", () => {
    const current = apiTaskDefinition();
    const [container] = current.containerDefinitions ?? [];
    if (container) container.environment = [{ name: "PORT", value: "8080" }];
    const next = renderTaskDefinition(current, [], change);
    expect(next.containerDefinitions?.[0]?.environment).toEqual([
      { name: "APP_VERSION", value: "0.2.0" },
      { name: "GIT_COMMIT", value: "2".repeat(40) },
      { name: "PORT", value: "8080" },
    ]);
    expect(next.tags).toEqual([
      { key: "deploy-kit:commit", value: "2".repeat(40) },
      { key: "deploy-kit:version", value: "0.2.0" },
      { key: "deploy-kit:tag", value: "222222222222" },
    ]);
  });

  it("leaves other containers (sidecars) alone", () => {
    const current = apiTaskDefinition();
    const sidecar = {
      name: "otel",
      image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0",
      essential: false,
    };
    current.containerDefinitions?.push(sidecar);
    const next = renderTaskDefinition(current, apiTaskTags, change);
    expect(next.containerDefinitions?.[1]).toEqual(sidecar);
  });

  it("refuses a task definition without the app's container, naming what it has", () => {
    const current = apiTaskDefinition();
    expect(() => renderTaskDefinition(current, [], { ...change, container: "web" })).toThrow(
      DeployError,
    );
    expect(() => renderTaskDefinition(current, [], { ...change, container: "web" })).toThrow(
      /has no container named "web" \(it has "api"\)/,
    );
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { loadPlatform } from "../load.js";
import { configError, removeRepos, validPlatform, writeRepo } from "./temp-repo.js";

afterEach(removeRepos);

function loadWithGitHub(github: Record<string, unknown>) {
  const root = writeRepo({ "platform.config.json": { ...validPlatform(), github } });
  return loadPlatform({ cwd: root });
}

describe("github.ownerId and github.repositoryId", () => {
  it("are optional, and kept as strings of digits when given", () => {
    expect(loadWithGitHub({ owner: "acme", repo: "platform" }).platform.github).toEqual({
      owner: "acme",
      repo: "platform",
    });
    expect(
      loadWithGitHub({ owner: "acme", repo: "platform", ownerId: "123456", repositoryId: "456789" })
        .platform.github,
    ).toEqual({ owner: "acme", repo: "platform", ownerId: "123456", repositoryId: "456789" });
  });

  it.each([
    ["a number", 456789],
    ["a name", "platform"],
    ["an id with a sign", "-1"],
  ])("refuse %s, naming the field and how to find the id", (_title, repositoryId) => {
    const error = configError(() =>
      loadWithGitHub({ owner: "acme", repo: "platform", repositoryId }),
    );
    expect(error.problems.map((problem) => [problem.field, problem.value])).toEqual([
      ["github.repositoryId", repositoryId],
    ]);
    expect(error.message).toContain("gh api repos/<owner>/<repo> --jq .id");
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubActions } from "../github.js";

describe("GitHubActions.output", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "deploy-kit-github-"));
    file = path.join(dir, "output");
    writeFileSync(file, "");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes name=value to $GITHUB_OUTPUT in GitHub Actions", () => {
    const github = new GitHubActions({ GITHUB_ACTIONS: "true", GITHUB_OUTPUT: file });
    github.output("url", "https://api.staging.example.com");
    expect(readFileSync(file, "utf8")).toBe("url=https://api.staging.example.com\n");
  });

  it("writes a value with line breaks between delimiters", () => {
    const github = new GitHubActions({ GITHUB_ACTIONS: "true", GITHUB_OUTPUT: file });
    github.output("notes", "one\ntwo");
    expect(readFileSync(file, "utf8")).toMatch(
      /^notes<<(ghadelimiter_[0-9a-f]{16})\none\ntwo\n\1\n$/,
    );
  });

  it("writes nothing outside GitHub Actions", () => {
    new GitHubActions({ GITHUB_OUTPUT: file }).output("url", "https://x");
    expect(readFileSync(file, "utf8")).toBe("");
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { GitHubActions, markdownTable } from "../github.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function actions(active: boolean) {
  const dir = mkdtempSync(path.join(tmpdir(), "gha-"));
  dirs.push(dir);
  const summary = path.join(dir, "summary.md");
  writeFileSync(summary, "");
  const out = new PassThrough();
  let printed = "";
  out.on("data", (chunk) => {
    printed += chunk;
  });
  const gha = new GitHubActions(
    active
      ? { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary }
      : { GITHUB_STEP_SUMMARY: summary },
    out,
  );
  return { gha, summary: () => readFileSync(summary, "utf8"), printed: () => printed };
}

describe("GitHubActions", () => {
  it("writes an ::error annotation with the data escaped", () => {
    const t = actions(true);
    t.gha.error("api: release failed", "100% failed:\nline two");
    expect(t.printed()).toBe("::error title=api%3A release failed::100%25 failed:%0Aline two\n");
  });

  it("appends markdown to the job summary", () => {
    const t = actions(true);
    t.gha.summary(
      markdownTable([
        ["App", "api"],
        ["URL", "https://api.example.com"],
      ]),
    );
    expect(t.summary()).toBe(
      "| | |\n| --- | --- |\n| App | api |\n| URL | https://api.example.com |\n",
    );
  });

  it("does nothing outside GitHub Actions", () => {
    const t = actions(false);
    t.gha.error("x", "y");
    t.gha.summary("z");
    expect(t.printed()).toBe("");
    expect(t.summary()).toBe("");
  });

  it("keeps table cells on one line and escapes pipes", () => {
    expect(markdownTable([["a|b", "c\nd"]])).toContain("| a\\|b | c d |");
  });
});

describe("GitHubActions.output", () => {
  function outputFile() {
    const dir = mkdtempSync(path.join(tmpdir(), "gha-output-"));
    dirs.push(dir);
    const file = path.join(dir, "output");
    writeFileSync(file, "");
    return file;
  }

  it("writes name=value to $GITHUB_OUTPUT, for the deploy workflow's environment URL", () => {
    const file = outputFile();
    new GitHubActions({ GITHUB_ACTIONS: "true", GITHUB_OUTPUT: file }).output(
      "url",
      "https://api.staging.example.com",
    );
    expect(readFileSync(file, "utf8")).toBe("url=https://api.staging.example.com\n");
  });

  it("writes a value with line breaks between delimiters", () => {
    const file = outputFile();
    new GitHubActions({ GITHUB_ACTIONS: "true", GITHUB_OUTPUT: file }).output("notes", "one\ntwo");
    expect(readFileSync(file, "utf8")).toMatch(
      /^notes<<(ghadelimiter_[0-9a-f]{16})\none\ntwo\n\1\n$/,
    );
  });

  it("writes nothing outside GitHub Actions", () => {
    const file = outputFile();
    new GitHubActions({ GITHUB_OUTPUT: file }).output("url", "https://x");
    expect(readFileSync(file, "utf8")).toBe("");
  });
});

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPlatform } from "@repo/platform-config/load";
import { awsNames } from "@repo/platform-config/names";
import { afterAll, describe, expect, test } from "vitest";

const INFRA = fileURLToPath(new URL("..", import.meta.url));
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** The process environment without any AWS credentials or settings, telemetry off. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("AWS_") && !key.startsWith("CDK_")) env[key] = value;
  }
  // An empty config and credentials file: nothing on this machine can lend credentials either.
  const home = mkdtempSync(path.join(tmpdir(), "infra-home-"));
  temporary.push(home);
  return {
    ...env,
    AWS_CONFIG_FILE: path.join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    CDK_DISABLE_CLI_TELEMETRY: "true",
  };
}

describe("the CDK app from the command line", () => {
  test("`cdk synth --quiet` works offline without credentials and writes every stack", () => {
    // GIVEN no AWS credentials and an empty output folder
    const out = mkdtempSync(path.join(tmpdir(), "infra-cdk-out-"));
    temporary.push(out);

    // WHEN the CLI synthesizes the app (cdk.json: npx tsx bin/app.ts)
    const result = spawnSync("npx", ["cdk", "synth", "--quiet", "--output", out], {
      cwd: INFRA,
      env: offlineEnv(),
      encoding: "utf8",
      timeout: 170_000,
    });

    // THEN it succeeds and writes the platform stack and the service stacks of every AWS environment
    expect(result.stderr).not.toMatch(/credentials|ERROR/);
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as {
      artifacts: Record<string, { type: string }>;
      missing?: unknown[];
    };
    const stacks = Object.entries(manifest.artifacts)
      .filter(([, artifact]) => artifact.type === "aws:cloudformation:stack")
      .map(([name]) => name)
      .sort();
    // (the repository's own config, whatever npm run setup and the team made of it)
    const { platform, apps } = loadPlatform({ cwd: INFRA });
    const environments = Object.keys(platform.environments).filter((name) => name !== "local");
    const expected = environments.flatMap((env) => [
      ...apps.map((app) => awsNames(platform.project, env).app(app.name).stack),
      awsNames(platform.project, env).platformStack,
    ]);
    expect(stacks).toEqual(expected.sort());
    // AND nothing was left to look up in an account
    expect(manifest.missing).toBeUndefined();
    for (const env of environments) {
      const template = `${awsNames(platform.project, env).platformStack}.template.json`;
      expect(existsSync(path.join(out, template))).toBe(true);
    }
  }, 180_000);

  test("a config that cannot deploy prints its problem and exits 2, without a stack trace", () => {
    // GIVEN a repository whose AWS environment has no hosted zone
    const root = mkdtempSync(path.join(tmpdir(), "infra-config-"));
    temporary.push(root);
    writeFileSync(
      path.join(root, "platform.config.json"),
      JSON.stringify({
        project: "demo",
        domain: "example.com",
        environments: { staging: { account: "111111111111", region: "eu-west-1" } },
      }),
    );
    mkdirSync(path.join(root, "apps"));

    // WHEN the app runs there
    const tsx = fileURLToPath(import.meta.resolve("tsx/cli"));
    const result = spawnSync(process.execPath, [tsx, path.join(INFRA, "bin/app.ts")], {
      cwd: root,
      env: offlineEnv(),
      encoding: "utf8",
      timeout: 60_000,
    });

    // THEN
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^platform\.config\.json: environments\.staging\.hostedZoneId = \(missing\): is required to deploy staging to AWS.*Fix: .*set environments\.staging\.hostedZoneId to its id/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

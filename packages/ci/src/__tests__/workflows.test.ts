import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { captureOutput } from "@repo/test-kit/capture";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../main.js";
import { checkAppWorkflows, generateWorkflows, lineDiff, writeAppWorkflows } from "../workflows.js";
import { repoRoot } from "./support.js";

describe("this repository's app workflows", () => {
  it("are what the workspace graph gives: generated == committed, for every app", () => {
    const { problems } = checkAppWorkflows(repoRoot);
    expect(problems.map((p) => [p.message, ...p.details].join("\n"))).toEqual([]);
  });

  it("exist for every app with a deploy.json, and for no other", () => {
    const apps = readdirSync(path.join(repoRoot, "apps")).filter((app) =>
      existsSync(path.join(repoRoot, "apps", app, "deploy.json")),
    );
    const workflows = readdirSync(path.join(repoRoot, ".github/workflows")).filter((name) =>
      /^deploy-.+\.ya?ml$/.test(name),
    );
    expect(workflows.sort()).toEqual(apps.map((app) => `deploy-${app}.yml`).sort());
    expect(
      generateWorkflows(repoRoot)
        .workflows.map((w) => w.app)
        .filter(Boolean),
    ).toEqual(apps.sort());
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A copy of what the generator reads (every package.json, the configs and the workflows), with
 * its workflows written: the tests below change it from a state in sync, whatever this
 * repository's own state is (the first tests above report that).
 */
function copyRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-workflows-"));
  dirs.push(dir);
  const copy = (file: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(dir, file), { recursive: true });
  };
  copy("package.json");
  copy("platform.config.json");
  copy(".github/workflows");
  for (const group of ["apps", "packages"]) {
    for (const name of readdirSync(path.join(repoRoot, group))) {
      for (const file of ["package.json", "deploy.json"]) {
        if (existsSync(path.join(repoRoot, group, name, file))) copy(`${group}/${name}/${file}`);
      }
    }
  }
  writeAppWorkflows(dir);
  return dir;
}

function editJson(file: string, edit: (json: Record<string, Record<string, string>>) => void) {
  const json = JSON.parse(readFileSync(file, "utf8"));
  edit(json);
  writeFileSync(file, JSON.stringify(json, null, 2));
}

function cli(argv: string[], cwd: string) {
  const output = captureOutput();
  const { stdout, stderr } = output;
  const code = main(argv, { stdout, stderr, cwd });
  return { code, out: output.out, err: output.err };
}

describe("gen-workflows --check", () => {
  it("passes once the workflows are written", () => {
    const dir = copyRepo();
    expect(cli(["--check"], dir)).toEqual({
      code: 0,
      out: "✓ the generated workflows match the workspace graph and platform.config.json\n",
      err: "",
    });
  });

  it("fails when an app gains a dependency its workflow's paths lack, and shows the difference", () => {
    const dir = copyRepo();
    editJson(path.join(dir, "apps/api/package.json"), (json) => {
      json.dependencies = { ...json.dependencies, "@repo/platform-config": "*" };
    });
    const run = cli(["--check"], dir);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      "✗ .github/workflows/deploy-api.yml differs from what the workspace graph and platform.config.json give (path filters, environments or template). Run `npm run workflows` and commit the result.",
    );
    expect(run.err).toMatch(/\n {4}\+ +\d+: {7}- "packages\/platform-config\/\*\*"\n/);
    expect(run.err).not.toContain("deploy-web.yml");
  });

  it("fails when a dependency goes away, naming the line to drop", () => {
    const dir = copyRepo();
    editJson(path.join(dir, "apps/web/package.json"), (json) => {
      delete json.dependencies?.["@repo/server-kit"];
    });
    const run = cli(["--check"], dir);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/deploy-web.yml differs/);
    expect(run.err).toMatch(/\n {4}- +\d+: {7}- "packages\/server-kit\/\*\*"\n/);
  });

  it("a workflow of an app that no longer exists is an error", () => {
    const dir = copyRepo();
    rmSync(path.join(dir, "apps/web/deploy.json"));
    editJson(path.join(dir, "apps/api/deploy.json"), (json) => {
      json.environment = { LOG_LEVEL: "info" };
    });
    const run = cli(["--check"], dir);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      '✗ .github/workflows/deploy-web.yml deploys "web", which is not an app (there is no apps/web/deploy.json). Run `npm run workflows` to remove it, or restore the app.\n',
    );
  });

  it("a missing workflow is an error", () => {
    const dir = copyRepo();
    rmSync(path.join(dir, ".github/workflows/deploy-api.yml"));
    const run = cli(["--check"], dir);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      "✗ .github/workflows/deploy-api.yml is missing: app api has no deploy pipeline. Run `npm run workflows` and commit the file.",
    );
  });

  it("a broken platform config: exit 2 with platform-config's message", () => {
    const dir = copyRepo();
    writeFileSync(path.join(dir, "platform.config.json"), "{ nope");
    const run = cli(["--check"], dir);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^✗ .*platform.config.json.*not valid JSON/);
  });

  it("an unknown argument: exit 2", () => {
    expect(cli(["--fix"], repoRoot)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--fix/),
    });
  });
});

describe("the environments of platform.config.json", () => {
  it("a new AWS environment changes every app's pipeline and infra.yml; writing adds its jobs in order", () => {
    const dir = copyRepo();
    editJson(path.join(dir, "platform.config.json"), (json) => {
      const { local, staging, prod } = json.environments as unknown as Record<string, unknown>;
      (json as Record<string, unknown>).environments = {
        local,
        staging,
        qa: { account: "333333333333", region: "eu-west-1", hostedZoneId: "Z0000000000000QA" },
        prod,
      };
    });
    const check = cli(["--check"], dir);
    expect(check.code).toBe(1);
    for (const file of ["deploy-api.yml", "deploy-web.yml", "infra.yml"]) {
      expect(check.err).toContain(`✗ .github/workflows/${file} differs`);
    }
    expect(cli([], dir).code).toBe(0);
    const api = readFileSync(path.join(dir, ".github/workflows/deploy-api.yml"), "utf8");
    expect(api).toContain("  deploy-qa:\n    name: qa\n    needs: [build, deploy-staging]\n");
    expect(api).toContain("  deploy-prod:\n    name: prod\n    needs: [build, deploy-qa]\n");
    const infra = readFileSync(path.join(dir, ".github/workflows/infra.yml"), "utf8");
    expect(infra).toContain('environment: ["staging", "qa", "prod"]');
  });

  it("with no AWS environment left, the pipelines only build and infra.yml goes", () => {
    const dir = copyRepo();
    editJson(path.join(dir, "platform.config.json"), (json) => {
      (json as Record<string, unknown>).environments = { local: json.environments?.local };
    });
    // The apps' overrides for prod would name an environment that is gone: a config error.
    for (const app of ["api", "web"]) {
      editJson(path.join(dir, `apps/${app}/deploy.json`), (json) => {
        json.environments = {};
      });
    }
    const run = cli([], dir);
    expect(run.code).toBe(0);
    expect(run.out).toContain("removed .github/workflows/infra.yml");
    expect(existsSync(path.join(dir, ".github/workflows/infra.yml"))).toBe(false);
    const api = readFileSync(path.join(dir, ".github/workflows/deploy-api.yml"), "utf8");
    expect(api).not.toContain("deploy-staging");
    expect(cli(["--check"], dir).code).toBe(0);
  });
});

describe("gen-workflows (write)", () => {
  it("writes the workflow of a new app and of a changed one, leaves the rest, and removes a gone app's", () => {
    const dir = copyRepo();
    mkdirSync(path.join(dir, "apps/admin"));
    writeFileSync(
      path.join(dir, "apps/admin/package.json"),
      JSON.stringify({
        name: "@repo/admin",
        version: "0.1.0",
        dependencies: { "@repo/server-kit": "*" },
      }),
    );
    cpSync(path.join(dir, "apps/api/deploy.json"), path.join(dir, "apps/admin/deploy.json"));
    editJson(path.join(dir, "apps/admin/deploy.json"), (json) => {
      (json as Record<string, unknown>).subdomain = "admin";
      (json as Record<string, unknown>).environment = {};
    });
    rmSync(path.join(dir, "apps/web/deploy.json"));
    // The api's manifest names the web app's URL: without the web app that is a config error.
    editJson(path.join(dir, "apps/api/deploy.json"), (json) => {
      json.environment = { LOG_LEVEL: "info" };
    });

    const run = cli([], dir);
    expect(run).toEqual({
      code: 0,
      out: [
        "wrote .github/workflows/deploy-admin.yml",
        "removed .github/workflows/deploy-web.yml",
        "2 unchanged: .github/workflows/deploy-api.yml, .github/workflows/infra.yml",
        "",
      ].join("\n"),
      err: "",
    });
    const admin = readFileSync(path.join(dir, ".github/workflows/deploy-admin.yml"), "utf8");
    expect(admin).toContain('      - "apps/admin/**"\n      - "packages/server-kit/**"\n');
    expect(cli(["--check"], dir).code).toBe(0);
    expect(writeAppWorkflows(dir)).toMatchObject({ written: [], removed: [] });
  });

  it("never removes a hand-written workflow named like an app's", () => {
    const dir = copyRepo();
    writeFileSync(path.join(dir, ".github/workflows/deploy-docs.yml"), "name: docs\n");
    expect(() => writeAppWorkflows(dir)).toThrow(
      /deploy-docs.yml is named like an app's pipeline, but there is no app "docs" .* rename or remove it/,
    );
    expect(existsSync(path.join(dir, ".github/workflows/deploy-docs.yml"))).toBe(true);
  });

  it("--check does not send a hand-written one to `npm run workflows`, which would refuse it", () => {
    const dir = copyRepo();
    writeFileSync(path.join(dir, ".github/workflows/deploy-docs.yml"), "name: docs\n");
    expect(cli(["--check"], dir)).toEqual({
      code: 1,
      out: "",
      err: '✗ .github/workflows/deploy-docs.yml is named like an app\'s pipeline, but there is no app "docs" (no apps/docs/deploy.json) and the file was not generated: rename or remove it.\n',
    });
  });
});

describe("lineDiff", () => {
  it("shows removed and added lines with their line numbers", () => {
    expect(lineDiff("a\nb\nc\n", "a\nc\nd\n")).toEqual(["-   2: b", "+   3: d"]);
  });

  it("cuts a long difference", () => {
    const diff = lineDiff("", Array.from({ length: 50 }, (_, i) => `${i}`).join("\n"), 5);
    expect(diff).toHaveLength(6);
    expect(diff[5]).toBe("  … 46 more");
  });
});

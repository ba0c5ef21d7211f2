import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { loadPlatform } from "@repo/platform-config/load";
import { githubOidcProviderArn } from "@repo/platform-config/names";
import type { RepoCopy } from "@repo/test-kit/repo-copy";
import { afterEach, describe, expect, it } from "vitest";
import { AnswersError, validateAnswers } from "../answers.js";
import { applySetup, currentAnswers } from "../setup.js";
import { ACME, fileHashes, readJson, templateCopy } from "./support.js";

const copies: RepoCopy[] = [];
function copy(): RepoCopy {
  const made = templateCopy();
  copies.push(made);
  return made;
}
afterEach(() => {
  for (const made of copies.splice(0)) made.remove();
});

describe("applySetup on a copy of the repository", () => {
  it("reads the current config back as the answers that reproduce it", () => {
    // GIVEN the template / WHEN its own answers are applied
    const repo = copy();
    const answers = currentAnswers(repo.dir);
    const changed = applySetup(repo.dir, validateAnswers(answers));

    // THEN the answers are the template's, production's values as the platform-wide ones
    expect(answers).toEqual({
      project: "platform",
      domain: "example.com",
      hostedZoneId: "Z00000000000PROD",
      account: "222222222222",
      region: "eu-west-1",
      environments: ["staging", "prod"],
      github: "example/platform",
      overrides: { staging: { account: "111111111111", hostedZoneId: "Z0000000000STAGING" } },
    });
    // AND the config is unchanged (only the package name follows the project)
    expect(changed).not.toContain("platform.config.json");
  });

  it("writes a new team's answers into the config and the names that follow the project", () => {
    // GIVEN the template
    const repo = copy();

    // WHEN a team's answers are applied
    const changed = applySetup(repo.dir, validateAnswers(ACME));

    // THEN the config, the root package and its lockfile change, and nothing else
    expect(changed).toEqual(["package-lock.json", "package.json", "platform.config.json"]);
    expect(readJson(repo.dir, "platform.config.json")).toEqual({
      $schema: "./packages/platform-config/schema/platform.schema.json",
      project: "acme",
      domain: "acme.dev",
      github: { owner: "acme-co", repo: "platform" },
      environments: {
        local: { edgePort: 8080 },
        staging: {
          account: "123456789012",
          region: "eu-central-1",
          domain: "staging.acme.dev",
          hostedZoneId: "Z0123456789ABCDEFGHIJ",
        },
        // one account holds one GitHub OIDC provider: staging's platform creates it
        prod: {
          account: "123456789012",
          region: "eu-central-1",
          hostedZoneId: "Z0123456789ABCDEFGHIJ",
          githubOidcProviderArn: githubOidcProviderArn("123456789012", "eu-central-1"),
        },
      },
    });
    expect(readJson(repo.dir, "package.json").name).toBe("acme");
    const lock = readJson(repo.dir, "package-lock.json");
    expect([lock.name, lock.packages[""].name]).toEqual(["acme", "acme"]);
    // AND the platform loads with the new names
    const loaded = loadPlatform({ cwd: repo.dir });
    expect(loaded.platform.project).toBe("acme");
  });

  it("is idempotent: the same answers again change no file", () => {
    // GIVEN a repository set up once
    const repo = copy();
    const answers = validateAnswers({ ...ACME, overrides: { prod: { account: "210987654321" } } });
    expect(applySetup(repo.dir, answers, { removeSamples: true }).length).toBeGreaterThan(0);
    const before = fileHashes(repo.dir);

    // WHEN setup runs again with the same answers
    const changed = applySetup(repo.dir, answers, { removeSamples: true });

    // THEN it reports no change and every file is byte for byte the same
    expect(changed).toEqual([]);
    expect(fileHashes(repo.dir)).toEqual(before);
    // AND the answers read back from the files (what --yes defaults to) change nothing either
    expect(applySetup(repo.dir, validateAnswers(currentAnswers(repo.dir)))).toEqual([]);
  });

  it("puts an environment in its own account and region when told to", () => {
    const repo = copy();
    applySetup(
      repo.dir,
      validateAnswers({
        ...ACME,
        overrides: { prod: { account: "210987654321", region: "us-east-1" } },
      }),
    );
    const { environments } = readJson(repo.dir, "platform.config.json");
    expect(environments.staging).toMatchObject({ account: "123456789012", region: "eu-central-1" });
    // its own account: prod's platform makes its own OIDC provider
    expect(environments.prod).toEqual({
      account: "210987654321",
      region: "us-east-1",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
    });
  });

  it("drops the overrides of environments that are gone, so every command still loads", () => {
    // GIVEN the samples' prod overrides / WHEN the environments become dev and production
    const repo = copy();
    const changed = applySetup(
      repo.dir,
      validateAnswers({ ...ACME, environments: "dev,production" }),
    );

    // THEN the manifests lose them and say so
    expect(changed).toEqual(
      expect.arrayContaining(["apps/api/deploy.json", "apps/web/deploy.json"]),
    );
    expect(readJson(repo.dir, "apps/api/deploy.json").environments).toEqual({});
    const loaded = loadPlatform({ cwd: repo.dir });
    expect(Object.keys(loaded.platform.environments)).toEqual(["local", "dev", "production"]);
    expect(loaded.platform.environments.dev).toMatchObject({ domain: "dev.acme.dev" });
  });

  it("removes the sample apps and every place that lists them", () => {
    // GIVEN the template with its samples
    const repo = copy();

    // WHEN setup runs with removeSamples
    const changed = applySetup(repo.dir, validateAnswers(ACME), { removeSamples: true });

    // THEN both apps are gone, with their workflows and the dependencies on them
    expect(changed).toEqual(expect.arrayContaining(["apps/api/", "apps/web/"]));
    expect(existsSync(path.join(repo.dir, "apps/api"))).toBe(false);
    expect(existsSync(path.join(repo.dir, "apps/web"))).toBe(false);
    expect(existsSync(path.join(repo.dir, ".github/workflows/deploy-api.yml"))).toBe(false);
    for (const group of ["apps", "packages"]) {
      const parent = path.join(repo.dir, group);
      for (const dir of existsSync(parent) ? readdirSync(parent) : []) {
        if (!existsSync(path.join(parent, dir, "package.json"))) continue;
        const text = JSON.stringify(readJson(parent, `${dir}/package.json`));
        expect(text, `${group}/${dir}/package.json`).not.toMatch(/@repo\/(api|web)"/);
      }
    }
    if (existsSync(path.join(repo.dir, ".github/dependabot.yml"))) {
      expect(repo.read(".github/dependabot.yml")).not.toMatch(/\/apps\/(api|web)\s*$/m);
    }
    // AND the platform loads without them
    expect(loadPlatform({ cwd: repo.dir }).apps.map((app) => app.name)).not.toContain("api");
  });

  it("changes nothing on a dry run, and says what it would change", () => {
    const repo = copy();
    const before = fileHashes(repo.dir);
    const changed = applySetup(repo.dir, validateAnswers(ACME), {
      removeSamples: true,
      dryRun: true,
    });
    expect(changed).toEqual(expect.arrayContaining(["platform.config.json", "apps/api/"]));
    expect(fileHashes(repo.dir)).toEqual(before);
  });

  it("refuses an environment domain outside the hosted zone it would use", () => {
    const repo = copy();
    const answers = validateAnswers({
      ...ACME,
      overrides: { staging: { domain: "acme-staging.net" } },
    });
    expect(() => applySetup(repo.dir, answers)).toThrow(AnswersError);
    expect(() => applySetup(repo.dir, answers)).toThrow(
      '--env-domain staging = "acme-staging.net": is outside acme.dev, so its records cannot go in the hosted zone of --hosted-zone-id. Fix: also pass --env-hosted-zone-id staging=<the zone of acme-staging.net>, or use a domain under acme.dev',
    );
  });
});

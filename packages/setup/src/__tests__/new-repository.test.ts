import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "@repo/test-kit/free-port";
import { viaEdge } from "@repo/test-kit/http-socket";
import { type CommandResult, RepoCopy } from "@repo/test-kit/repo-copy";
import { DOCKER_FIX, dockerMissing, toolGate } from "@repo/test-kit/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What a team does with the template, in a throwaway copy of this repository (its own git
// history, node_modules and turbo cache): `npm run setup`, then every check, the synth and a
// local deploy; then `npx turbo gen app`, and the new app is built, tested, synthesized and
// deployed. One copy for both, to stay within a few minutes on a 2-core machine.

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);

const MINUTES = 60_000;

/** A command's result, with its output shown when it failed (the assertion alone says little). */
function ok(result: CommandResult, what: string): CommandResult {
  expect(result.code, `${what} exited ${result.code}:\n${result.output.slice(-6000)}`).toBe(0);
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template, checked field by field
type Template = { Resources: Record<string, { Type: string; Properties: any }> };

describe.skipIf(!hasDocker)(
  "from the template to a first deploy, in a copy of the repository",
  () => {
    let copy: RepoCopy;
    let port = 0;
    const project = `t${Date.now().toString(36).slice(-6)}`;
    const answers = [
      "--yes",
      `--project=${project}`,
      "--domain=acme.dev",
      "--hosted-zone-id=Z0123456789ABCDEFGHIJ",
      "--account=123456789012",
      "--region=eu-central-1",
      "--environments=staging,prod",
      "--github=acme-co/platform",
    ];
    const timings: string[] = [];
    const timed = async (what: string, run: () => Promise<CommandResult>) => {
      const result = await run();
      timings.push(`${what}: ${result.seconds.toFixed(1)} s`);
      return ok(result, what);
    };

    beforeAll(async () => {
      port = await freePort();
      copy = RepoCopy.create({ nodeModules: "hardlink", turboCache: true, edgePort: port });
    });

    afterAll(async () => {
      if (!copy) return;
      await copy.run("npx", ["deploy-kit", "down", "--env", "local"]);
      copy.remove();
      console.warn(`new-repository timings:\n  ${timings.join("\n  ")}`);
    });

    it(
      "npm run setup, then the checks, the synth and a local deploy pass",
      async () => {
        // GIVEN a repository made from the template / WHEN a team runs setup without prompts
        const setup = await timed("npm run setup", () =>
          copy.run("npm", ["run", "setup", "--", ...answers]),
        );
        expect(setup.output).toMatch(/write {2}platform\.config\.json/);
        // AND again with the same answers: nothing changes
        const again = await timed("npm run setup again", () =>
          copy.run("npm", ["run", "setup", "--", ...answers]),
        );
        expect(again.output).toMatch(/Nothing to change/);
        expect(
          copy.git(
            "status",
            "--porcelain",
            "--",
            ".",
            ":!package-lock.json",
            ":!package.json",
            ":!platform.config.json",
          ),
        ).toBe("");
        copy.commit("npm run setup");

        // THEN the checks pass: lint and typecheck everywhere, the tests of every workspace but
        // the image tests (packages/e2e, run by the repository's own suite) and this one
        await timed("npm run lint", () => copy.run("npm", ["run", "lint"]));
        await timed("npm run typecheck", () => copy.run("npm", ["run", "typecheck"]));
        // (@repo/ci's own tests describe the template's pipelines, api and web in staging and
        // prod; in a set-up repository what must hold is that the pipelines match the graph.)
        await timed("tests", () =>
          copy.run("npx", [
            "turbo",
            "run",
            "test",
            "--filter=!@repo/e2e",
            "--filter=!@repo/setup",
            "--filter=!@repo/ci",
          ]),
        );
        await timed("npm run workflows -- --check", () =>
          copy.run("npm", ["run", "workflows", "--", "--check"]),
        );

        // AND the synth makes the team's stacks
        await timed("npm run synth", () => copy.run("npm", ["run", "synth"]));
        const out = path.join(copy.dir, "packages/infra/cdk.out");
        const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
        expect(Object.keys(manifest.artifacts)).toEqual(
          expect.arrayContaining([`${project}-staging-platform`, `${project}-prod-app-api`]),
        );

        // AND every app deploys to local and answers through the edge
        await timed("deploy-kit build", () =>
          copy.run("npx", ["turbo", "run", "build", "--filter=@repo/deploy-kit"]),
        );
        await timed("deploy-kit deploy --env local", () =>
          copy.run("npx", ["deploy-kit", "deploy", "--env", "local"]),
        );
        expect(await viaEdge(port, "api.localhost", "/healthz")).toEqual({
          status: 200,
          body: '{"status":"ok"}',
        });
        expect((await viaEdge(port, "web.localhost", "/healthz")).status).toBe(200);
      },
      12 * MINUTES,
    );

    it(
      "npx turbo gen app: the new service builds, tests, synthesizes and answers locally",
      async () => {
        // WHEN the generator runs non-interactively (a service, and a web app)
        const gen = await timed("turbo gen app (service)", () =>
          copy.run("npx", ["turbo", "gen", "app", "--args", "billing", "service", "pay", "8080"]),
        );
        expect(gen.output).toMatch(/apps\/billing \(@repo\/billing\) is ready/);
        await timed("turbo gen app (web)", () =>
          copy.run("npx", ["turbo", "gen", "app", "--args", "shop", "web", "shop", "3000"]),
        );

        // THEN the apps are workspaces of their own, recorded in the lockfile
        for (const file of [
          "Dockerfile",
          "deploy.json",
          "package.json",
          "src/__tests__/app.test.ts",
        ]) {
          expect(copy.exists(`apps/billing/${file}`), file).toBe(true);
        }
        expect(copy.exists("node_modules/@repo/billing/package.json")).toBe(true);
        const lock = JSON.parse(copy.read("package-lock.json"));
        expect(lock.packages["apps/billing"]).toMatchObject({ name: "@repo/billing" });
        expect(JSON.parse(copy.read("apps/billing/deploy.json"))).toMatchObject({
          subdomain: "pay",
          port: 8080,
        });
        expect(copy.read("apps/billing/Dockerfile")).toMatch(/prune @repo\/billing --docker/);
        const scripts = JSON.parse(copy.read("package.json")).scripts;
        if (scripts.workflows)
          expect(copy.exists(".github/workflows/deploy-billing.yml")).toBe(true);
        copy.commit("two new apps");

        // AND they pass their own checks, and the repository's (workflows, config)
        await timed("new apps: typecheck lint test build", () =>
          copy.run("npx", [
            "turbo",
            "run",
            "typecheck",
            "lint",
            "test",
            "build",
            "--filter=@repo/billing",
            "--filter=@repo/shop",
          ]),
        );
        await timed("npm run workflows -- --check (new apps)", () =>
          copy.run("npm", ["run", "workflows", "--", "--check"]),
        );

        // AND the synth adds the service, its host rule and its record
        await timed("npm run synth (new app)", () => copy.run("npm", ["run", "synth"]));
        const template: Template = JSON.parse(
          copy.read(`packages/infra/cdk.out/${project}-staging-app-billing.template.json`),
        );
        const resources = Object.values(template.Resources);
        expect(resources.filter((r) => r.Type === "AWS::ECS::Service")).toHaveLength(1);
        const rules = resources.filter(
          (r) => r.Type === "AWS::ElasticLoadBalancingV2::ListenerRule",
        );
        expect(rules.map((rule) => rule.Properties.Conditions)).toContainEqual([
          { Field: "host-header", HostHeaderConfig: { Values: ["pay.staging.acme.dev"] } },
        ]);
        const records = resources.filter((r) => r.Type === "AWS::Route53::RecordSet");
        expect(records.map((record) => record.Properties.Name)).toContain("pay.staging.acme.dev.");

        // AND it deploys to local, where it answers at http://pay.localhost:<port>
        await timed("deploy-kit deploy billing --env local", () =>
          copy.run("npx", ["deploy-kit", "deploy", "billing", "--env", "local"]),
        );
        expect(await viaEdge(port, "pay.localhost", "/healthz")).toEqual({
          status: 200,
          body: '{"status":"ok"}',
        });
        const hello = await viaEdge(port, "pay.localhost", "/v1/hello?name=team");
        expect(JSON.parse(hello.body)).toEqual({
          message: "Hello, team!",
          app: "billing",
          environment: "local",
        });

        // AND down removes the local environment again
        await timed("deploy-kit down", () =>
          copy.run("npx", ["deploy-kit", "down", "--env", "local"]),
        );
        await expect(viaEdge(port, "pay.localhost", "/healthz")).rejects.toThrow();
      },
      8 * MINUTES,
    );

    it(
      "npm run setup --remove-samples: the samples go, and every check and the synth still pass",
      async () => {
        // WHEN the team removes the sample apps (setup runs npm install and npm run workflows)
        const removed = await timed("npm run setup --remove-samples", () =>
          copy.run("npm", ["run", "setup", "--", ...answers, "--remove-samples"]),
        );
        expect(removed.output).toMatch(/remove apps\/api\//);
        expect(copy.exists("apps/api")).toBe(false);
        expect(copy.exists("apps/web")).toBe(false);
        expect(copy.exists("node_modules/@repo/api")).toBe(false);
        expect(JSON.parse(copy.read("package-lock.json")).packages["apps/api"]).toBeUndefined();
        copy.commit("without the samples");

        // THEN the checks pass, the image tests of packages/e2e skipping with their reason
        await timed("npm run lint (no samples)", () => copy.run("npm", ["run", "lint"]));
        await timed("npm run typecheck (no samples)", () => copy.run("npm", ["run", "typecheck"]));
        const tests = await timed("tests (no samples)", () =>
          copy.run("npx", ["turbo", "run", "test", "--filter=!@repo/setup", "--filter=!@repo/ci"]),
        );
        await timed("npm run workflows -- --check (no samples)", () =>
          copy.run("npm", ["run", "workflows", "--", "--check"]),
        );
        expect(tests.output).toMatch(
          /SKIPPING the e2e tests: the sample apps apps\/api and apps\/web are gone/,
        );
        // AND the synth has the team's apps and no sample
        await timed("npm run synth (no samples)", () => copy.run("npm", ["run", "synth"]));
        const manifest = JSON.parse(copy.read("packages/infra/cdk.out/manifest.json"));
        const stacks = Object.entries(manifest.artifacts)
          .filter(
            ([name, artifact]) =>
              (artifact as { type: string }).type === "aws:cloudformation:stack" &&
              name.includes("-app-"),
          )
          .map(([name]) => name);
        expect(stacks.sort()).toEqual(
          ["billing", "shop"]
            .flatMap((app) => [`${project}-prod-app-${app}`, `${project}-staging-app-${app}`])
            .sort(),
        );
      },
      6 * MINUTES,
    );
  },
);

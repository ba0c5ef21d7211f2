// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the manifests' placeholder syntax under test.
import { afterEach, describe, expect, it } from "vitest";
import { findApp, loadPlatform } from "../load.js";
import { appUrl, environmentNames, resolveApp, resolveEnvironment } from "../resolve.js";
import { platformConfigSchema } from "../schema.js";
import {
  configError,
  REPO_ROOT,
  removeRepos,
  templateRepo,
  validPlatform,
  writeRepo,
} from "./temp-repo.js";

afterEach(removeRepos);

describe("the repository's own config", () => {
  it("loads, whatever the team made of it (npm run setup, its own apps)", () => {
    const loaded = loadPlatform({ cwd: REPO_ROOT });
    expect(loaded.root).toBe(REPO_ROOT);
    for (const app of loaded.apps) expect(app.dir).toBe(`${REPO_ROOT}/apps/${app.name}`);
  });
});

describe("the template's config, as it ships", () => {
  const root = templateRepo();
  const loaded = loadPlatform({ cwd: root });
  const resolve = (appName: string, envName: string) =>
    resolveApp(loaded, findApp(loaded, appName), resolveEnvironment(loaded.platform, envName, {}));

  it("loads platform.config.json and every app", () => {
    expect(loaded.root).toBe(root);
    expect(loaded.configFile).toBe(`${root}/platform.config.json`);
    expect(loaded.platform.project).toBe("platform");
    expect(environmentNames(loaded.platform)).toEqual(["local", "staging", "prod"]);
    expect(loaded.apps.map((app) => [app.name, app.packageName])).toEqual([
      ["api", "@repo/api"],
      ["web", "@repo/web"],
    ]);
  });

  it("resolves local", () => {
    expect(resolveEnvironment(loaded.platform, "local", {})).toEqual({
      name: "local",
      kind: "local",
      edgePort: 8080,
      registry: "127.0.0.1:5000",
      registryFromDefault: true,
    });
    const api = resolve("api", "local");
    expect(api).toMatchObject({
      name: "api",
      url: "http://api.localhost:8080",
      port: 8080,
      healthCheckPath: "/healthz",
      desiredCount: 1,
      environment: { LOG_LEVEL: "info", CORS_ORIGINS: "http://web.localhost:8080" },
      secrets: {},
    });
    expect(resolve("web", "local").environment).toEqual({ API_URL: "http://api.localhost:8080" });
  });

  it("resolves staging under its own domain", () => {
    expect(resolveEnvironment(loaded.platform, "staging", {})).toEqual({
      name: "staging",
      kind: "aws",
      account: "111111111111",
      region: "eu-west-1",
      domain: "staging.example.com",
      hostedZoneId: "Z0000000000STAGING",
      registry: "111111111111.dkr.ecr.eu-west-1.amazonaws.com",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      network: "public",
      logRetentionDays: 30,
      loadBalancer: { deletionProtection: false, accessLogRetentionDays: 90 },
    });
    expect(resolve("api", "staging")).toMatchObject({
      url: "https://api.staging.example.com",
      environment: { CORS_ORIGINS: "https://web.staging.example.com" },
      desiredCount: 1,
      minCount: 1,
    });
  });

  it("resolves prod under the platform domain with its override", () => {
    expect(resolve("web", "prod").url).toBe("https://web.example.com");
    expect(resolve("web", "prod").environment).toEqual({ API_URL: "https://api.example.com" });
    expect(resolve("api", "prod")).toMatchObject({
      url: "https://api.example.com",
      environment: { LOG_LEVEL: "info", CORS_ORIGINS: "https://web.example.com" },
      desiredCount: 2,
      minCount: 2,
      maxCount: 4,
      cpu: 256,
      memory: 512,
      capacity: "fargate",
      architecture: "x86_64",
    });
  });
});

describe("resolveEnvironment", () => {
  const platform = () =>
    loadPlatform({ cwd: writeRepo({ "platform.config.json": validPlatform() }) }).platform;

  it("builds local in when the config does not mention it", () => {
    expect(resolveEnvironment(platform(), "local", {})).toEqual({
      name: "local",
      kind: "local",
      edgePort: 8080,
      registry: "127.0.0.1:5000",
      registryFromDefault: true,
    });
  });

  it("takes the local registry from REGISTRY, over the config", () => {
    const fromEnv = resolveEnvironment(platform(), "local", { REGISTRY: "localhost:5001" });
    expect(fromEnv).toMatchObject({ registry: "localhost:5001", registryFromDefault: false });
    const real = loadPlatform({ cwd: templateRepo() }).platform;
    expect(
      resolveEnvironment(real, "local", { REGISTRY: "registry.internal:5000/team" }).registry,
    ).toBe("registry.internal:5000/team");
    expect(resolveEnvironment(real, "local", { REGISTRY: "" }).registry).toBe("127.0.0.1:5000");
  });

  it("rejects a REGISTRY that is not a registry address", () => {
    const error = configError(() =>
      resolveEnvironment(platform(), "local", { REGISTRY: "http://localhost:5000" }),
    );
    expect(error.message).toBe(
      '(environment variables): REGISTRY = "http://localhost:5000": is not a container registry address. Fix: set REGISTRY to host[:port][/path] in lower case, for example 127.0.0.1:5000, or unset it',
    );
  });

  it("lists the known environments and how to declare one", () => {
    const error = configError(() => resolveEnvironment(platform(), "qa", {}));
    expect(error.message).toBe(
      'platform.config.json: environments = "qa": has no environment "qa". Fix: use one of local, staging, prod, or declare it in platform.config.json as "environments": { "qa": { "account": "<12 digits>", "region": "<region>" } }',
    );
    expect(() => resolveEnvironment(platform(), "constructor", {})).toThrow(/no environment/);
  });

  it("defaults the registry to the account's ECR, with China's DNS suffix in China", () => {
    const config = {
      ...validPlatform(),
      environments: {
        cn: { account: "333333333333", region: "cn-north-1" },
        gov: { account: "444444444444", region: "us-gov-west-1", registry: "ghcr.io/example" },
      },
    };
    const loaded = loadPlatform({ cwd: writeRepo({ "platform.config.json": config }) });
    expect(resolveEnvironment(loaded.platform, "cn", {})).toMatchObject({
      registry: "333333333333.dkr.ecr.cn-north-1.amazonaws.com.cn",
      domain: "example.com",
    });
    expect(resolveEnvironment(loaded.platform, "gov", {}).registry).toBe("ghcr.io/example");
  });
});

describe("appUrl", () => {
  const app = { manifest: { subdomain: "api" } };
  const local = (edgePort: number) =>
    ({ name: "local", kind: "local", edgePort, registry: "r", registryFromDefault: true }) as const;

  it("leaves out port 80 locally", () => {
    expect(appUrl(app, local(80))).toBe("http://api.localhost");
    expect(appUrl(app, local(8081))).toBe("http://api.localhost:8081");
  });
});

describe("resolveApp", () => {
  it("merges an environment's override and resolves placeholders and secrets", () => {
    const root = writeRepo({
      "platform.config.json": validPlatform(),
      "apps/worker/deploy.json": {
        subdomain: "jobs",
        port: 3000,
        environment: { SELF: "${apps.worker.url}/cb", STAGE: "env-${env.name}", KEEP: "a" },
        secrets: {
          DB: "ssm:/demo/worker/DB",
          KEY: "secretsmanager:demo/keys:signing",
        },
        environments: {
          prod: {
            cpu: 512,
            memory: 1024,
            capacity: "fargate-spot",
            maxCount: 8,
            environment: { KEEP: "b" },
            secrets: {
              KEY: "secretsmanager:arn:aws:secretsmanager:eu-west-1:222222222222:secret:keys-AbCdEf:signing",
            },
          },
        },
      },
    });
    const loaded = loadPlatform({ cwd: root });
    const app = findApp(loaded, "worker");
    const prod = resolveApp(loaded, app, resolveEnvironment(loaded.platform, "prod", {}));
    expect(prod).toEqual({
      name: "worker",
      packageName: "@repo/worker",
      version: "1.2.3",
      dir: `${root}/apps/worker`,
      subdomain: "jobs",
      url: "https://jobs.example.com",
      port: 3000,
      healthCheckPath: "/healthz",
      cpu: 512,
      memory: 1024,
      desiredCount: 1,
      minCount: 1,
      maxCount: 8,
      capacity: "fargate-spot",
      architecture: "x86_64",
      environment: { SELF: "https://jobs.example.com/cb", STAGE: "env-prod", KEEP: "b" },
      secrets: {
        DB: { source: "ssm", name: "/demo/worker/DB", raw: "ssm:/demo/worker/DB" },
        KEY: {
          source: "secretsmanager",
          name: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:keys-AbCdEf",
          jsonKey: "signing",
          raw: "secretsmanager:arn:aws:secretsmanager:eu-west-1:222222222222:secret:keys-AbCdEf:signing",
        },
      },
    });
    const staging = resolveApp(loaded, app, resolveEnvironment(loaded.platform, "staging", {}));
    expect(staging).toMatchObject({
      cpu: 256,
      capacity: "fargate",
      environment: { SELF: "https://jobs.staging.example.com/cb", STAGE: "env-staging", KEEP: "a" },
      secrets: { KEY: { source: "secretsmanager", name: "demo/keys", jsonKey: "signing" } },
    });
  });

  it("takes the architecture from the base, and from an environment's override", () => {
    const root = writeRepo({
      "platform.config.json": validPlatform(),
      "apps/api/deploy.json": {
        subdomain: "api",
        port: 8080,
        architecture: "arm64",
        environments: { prod: { architecture: "x86_64", capacity: "fargate-spot" } },
      },
    });
    const loaded = loadPlatform({ cwd: root });
    const api = findApp(loaded, "api");
    const resolveFor = (name: string) =>
      resolveApp(loaded, api, resolveEnvironment(loaded.platform, name, {}));
    expect(resolveFor("staging")).toMatchObject({ architecture: "arm64", capacity: "fargate" });
    expect(resolveFor("prod")).toMatchObject({ architecture: "x86_64", capacity: "fargate-spot" });
    expect(resolveFor("local").architecture).toBe("arm64");
  });

  it("refuses an entry built by hand with arm64 on Fargate Spot", () => {
    const loaded = loadPlatform({ cwd: templateRepo() });
    const api = findApp(loaded, "api");
    const broken = {
      ...api,
      manifest: {
        ...api.manifest,
        capacity: "fargate-spot" as const,
        architecture: "arm64" as const,
      },
    };
    const error = configError(() =>
      resolveApp(loaded, broken, resolveEnvironment(loaded.platform, "staging", {})),
    );
    expect(error.message).toMatch(
      /^apps\/api\/deploy\.json: capacity = .*puts arm64 tasks on Fargate Spot.*Fix: set capacity to "fargate"/,
    );
  });

  it("refuses an entry built by hand with counts out of order", () => {
    const loaded = loadPlatform({ cwd: templateRepo() });
    const api = findApp(loaded, "api");
    const broken = { ...api, manifest: { ...api.manifest, minCount: 9 } };
    const error = configError(() =>
      resolveApp(loaded, broken, resolveEnvironment(loaded.platform, "staging", {})),
    );
    expect(error.message).toMatch(/^apps\/api\/deploy\.json: minCount = .*minCount is 9/);
  });
});

describe("infrastructure settings of an AWS environment", () => {
  const platform = (extra: Record<string, unknown>) =>
    platformConfigSchema.parse({
      project: "acme",
      domain: "example.com",
      environments: { prod: { account: "222222222222", region: "us-east-2", ...extra } },
    });

  it("fills the defaults", () => {
    expect(resolveEnvironment(platform({}), "prod", {})).toMatchObject({
      availabilityZones: ["us-east-2a", "us-east-2b"],
      network: "public",
      logRetentionDays: 30,
    });
  });

  it("keeps what is set", () => {
    const resolved = resolveEnvironment(
      platform({
        availabilityZones: ["us-east-2b", "us-east-2c"],
        network: "private",
        ec2: { instanceType: "t3.small" },
        logRetentionDays: 90,
        githubOidcProviderArn:
          "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
      }),
      "prod",
      {},
    );
    expect(resolved).toMatchObject({
      availabilityZones: ["us-east-2b", "us-east-2c"],
      network: "private",
      ec2: { instanceType: "t3.small", minInstances: 1, maxInstances: 2 },
      logRetentionDays: 90,
      githubOidcProviderArn:
        "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
    });
  });

  it("protects the last environment's load balancer from deletion, and no other, by default", () => {
    const config = platformConfigSchema.parse({
      project: "acme",
      domain: "example.com",
      environments: {
        local: { edgePort: 8080 },
        dev: { account: "111111111111", region: "us-east-2" },
        staging: { account: "111111111111", region: "us-east-2" },
        prod: { account: "222222222222", region: "us-east-2" },
      },
    });
    const protection = (name: string) => {
      const environment = resolveEnvironment(config, name, {});
      return environment.kind === "aws" ? environment.loadBalancer?.deletionProtection : undefined;
    };
    expect(["dev", "staging", "prod"].map(protection)).toEqual([false, false, true]);
  });

  it("keeps the load balancer and WAF settings that are set; WAF is off unless enabled", () => {
    expect(resolveEnvironment(platform({}), "prod", {})).not.toHaveProperty("waf");
    expect(
      resolveEnvironment(platform({ waf: { enabled: false } }), "prod", {}),
    ).not.toHaveProperty("waf");
    expect(
      resolveEnvironment(
        platform({
          loadBalancer: { deletionProtection: false, accessLogRetentionDays: 30 },
          waf: { enabled: true },
          ec2: { cpuCredits: "unlimited" },
        }),
        "prod",
        {},
      ),
    ).toMatchObject({
      loadBalancer: { deletionProtection: false, accessLogRetentionDays: 30 },
      waf: { rateLimit: 2000, allowLargeBodies: false },
      ec2: { instanceType: "t3.micro", cpuCredits: "unlimited" },
    });
  });

  it.each([
    [{ loadBalancer: { accessLogRetentionDays: 0 } }, /accessLogRetentionDays/],
    [{ loadBalancer: { deletionProtection: "yes" } }, /deletionProtection/],
    [{ waf: { enabled: true, rateLimit: 5 } }, /rateLimit/],
    [{ waf: { rateLimit: 100 } }, /enabled/],
    [{ ec2: { cpuCredits: "unlimted" } }, /cpuCredits/],
    [{ logRetentionDays: 31 }, /not a retention period CloudWatch Logs offers/],
    [{ availabilityZones: ["us-east-2a"] }, /availabilityZones/],
    [{ network: "nat" }, /network/],
    [{ githubOidcProviderArn: "arn:aws:iam::1:role/x" }, /githubOidcProviderArn/],
  ])("refuses %j", (extra, message) => {
    expect(() => platform(extra)).toThrow(message);
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the manifests' placeholder syntax under test.
import { afterEach, describe, expect, it } from "vitest";
import { findApp, findRepoRoot, loadPlatform } from "../load.js";
import { configError, removeRepos, validPlatform, writeRepo } from "./temp-repo.js";

afterEach(removeRepos);

const api = { subdomain: "api", port: 8080 };
const web = { subdomain: "web", port: 8080 };

/** Loads a temp repo with a valid platform config, apps api and web, and `files` on top. */
function load(files: Record<string, unknown>) {
  const root = writeRepo({
    "platform.config.json": validPlatform(),
    "apps/api/deploy.json": api,
    "apps/web/deploy.json": web,
    ...files,
  });
  return loadPlatform({ cwd: root });
}

function loadError(files: Record<string, unknown>) {
  return configError(() => load(files));
}

describe("loadPlatform reports", () => {
  // [title, files written over the valid repo, the whole message a user sees]
  it.each([
    [
      "invalid JSON with line and column",
      { "apps/api/deploy.json": '{\n  "subdomain": "api",\n  "port": 8080,\n}\n' },
      'apps/api/deploy.json: (file) = "}": is not valid JSON: unexpected "}" after a trailing comma at line 4, column 1. Fix: correct the JSON at line 4, column 1 (JSON has no comments or trailing commas, and strings and keys use double quotes)',
    ],
    [
      "an unknown key, suggesting the key that was meant and listing the allowed ones",
      { "apps/api/deploy.json": { ...api, memroy: 1024 } },
      'apps/api/deploy.json: memroy = 1024: is not a known key. Fix: remove "memroy" or rename it to "memory"; allowed keys: $schema, subdomain, port, healthCheckPath, cpu, memory, desiredCount, minCount, maxCount, capacity, architecture, listenerPriority, environment, secrets, environments',
    ],
    [
      "a bad subdomain",
      { "apps/api/deploy.json": { ...api, subdomain: "API_1" } },
      'apps/api/deploy.json: subdomain = "API_1": is not valid. Fix: set subdomain to the app\'s subdomain, unique across apps: 1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, for example "api"',
    ],
    [
      "a subdomain used by two apps, naming both files",
      { "apps/web/deploy.json": { ...web, subdomain: "api" } },
      'apps/web/deploy.json: subdomain = "api": is also the subdomain of app "api" in apps/api/deploy.json. Fix: give the app in apps/web/deploy.json or in apps/api/deploy.json another subdomain: each app needs its own',
    ],
    [
      "a port out of range",
      { "apps/api/deploy.json": { ...api, port: 70000 } },
      "apps/api/deploy.json: port = 70000: must be at most 65535. Fix: set port to the port the container listens on, between 1 and 65535, for example 8080",
    ],
    [
      "counts out of order, with all three values",
      {
        "apps/api/deploy.json": { ...api, minCount: 2, desiredCount: 5, maxCount: 4 },
      },
      'apps/api/deploy.json: desiredCount = {"minCount":2,"desiredCount":5,"maxCount":4}: needs minCount <= desiredCount <= maxCount, but minCount is 2, desiredCount 5 and maxCount 4. Fix: set desiredCount between 2 and 4, or move minCount/maxCount to include 5',
    ],
    [
      "counts out of order only once an environment's override is merged",
      {
        "apps/api/deploy.json": { ...api, maxCount: 4, environments: { prod: { minCount: 6 } } },
      },
      'apps/api/deploy.json: environments.prod.minCount = {"minCount":6,"desiredCount":1,"maxCount":4}: needs minCount <= desiredCount <= maxCount, but minCount is 6, desiredCount 1 and maxCount 4. Fix: lower minCount to at most 4 or raise maxCount to at least 6',
    ],
    [
      "a bad capacity",
      { "apps/api/deploy.json": { ...api, capacity: "spot" } },
      'apps/api/deploy.json: capacity = "spot": must be one of "fargate", "fargate-spot", "ec2". Fix: set capacity to where tasks run: "fargate", "fargate-spot" or "ec2"',
    ],
    [
      "a bad architecture, in Docker's words, with ECS's two names and what they mean",
      { "apps/api/deploy.json": { ...api, architecture: "amd64" } },
      'apps/api/deploy.json: architecture = "amd64": must be one of "x86_64", "arm64". Fix: set architecture to the CPU architecture the app\'s image is built for and its tasks run on: "x86_64" (Intel and AMD; Docker\'s linux/amd64) or "arm64" (AWS Graviton; Docker\'s linux/arm64)',
    ],
    [
      "a bad architecture in an environment's override",
      { "apps/api/deploy.json": { ...api, environments: { prod: { architecture: "aarch64" } } } },
      'apps/api/deploy.json: environments.prod.architecture = "aarch64": must be one of "x86_64", "arm64". Fix: set environments.prod.architecture to the CPU architecture the app\'s image is built for and its tasks run on: "x86_64" (Intel and AMD; Docker\'s linux/amd64) or "arm64" (AWS Graviton; Docker\'s linux/arm64)',
    ],
    [
      "arm64 on Fargate Spot, which runs x86_64 only",
      { "apps/api/deploy.json": { ...api, capacity: "fargate-spot", architecture: "arm64" } },
      'apps/api/deploy.json: capacity = {"capacity":"fargate-spot","architecture":"arm64"}: puts arm64 tasks on Fargate Spot, which runs x86_64 Linux tasks only, so ECS would refuse the service. Fix: set capacity to "fargate" (on-demand Fargate runs arm64), or set architecture to "x86_64" to keep Spot',
    ],
    [
      "arm64 on Fargate Spot only once an override is merged, blaming the field it sets",
      {
        "apps/api/deploy.json": {
          ...api,
          capacity: "fargate-spot",
          environments: { prod: { architecture: "arm64" } },
        },
      },
      'apps/api/deploy.json: environments.prod.architecture = {"capacity":"fargate-spot","architecture":"arm64"}: puts arm64 tasks on Fargate Spot, which runs x86_64 Linux tasks only, so ECS would refuse the service. Fix: set capacity to "fargate" (on-demand Fargate runs arm64), or set architecture to "x86_64" to keep Spot',
    ],
    [
      "a bad environment variable name, with the key as the value",
      {
        "apps/api/deploy.json": { ...api, environment: { "log-level": "info" } },
      },
      'apps/api/deploy.json: environment.log-level = "log-level": is not a valid name. Fix: rename it to an environment variable name: upper-case letters, digits and underscores, not starting with a digit, for example LOG_LEVEL',
    ],
    [
      "a reserved environment variable, in the base and in an override",
      {
        "apps/api/deploy.json": {
          ...api,
          environment: { PORT: "3000" },
          environments: { prod: { environment: { NODE_ENV: "development" } } },
        },
      },
      [
        'apps/api/deploy.json: environment.PORT = "PORT": is set by the platform itself. Fix: remove it: the platform sets PORT, DEPLOY_ENV, APP_VERSION, GIT_COMMIT, NODE_ENV, PLATFORM_SECRET_NAMES in every container',
        'apps/api/deploy.json: environments.prod.environment.NODE_ENV = "NODE_ENV": is set by the platform itself. Fix: remove it: the platform sets PORT, DEPLOY_ENV, APP_VERSION, GIT_COMMIT, NODE_ENV, PLATFORM_SECRET_NAMES in every container',
      ].join("\n"),
    ],
    [
      "a placeholder naming an unknown app, listing the known apps",
      {
        "apps/web/deploy.json": { ...web, environment: { API_URL: "${apps.apii.url}/v1" } },
      },
      'apps/web/deploy.json: environment.API_URL = "${apps.apii.url}/v1": refers to the unknown app "apii" in ${apps.apii.url}. Fix: use one of ${apps.api.url}, ${apps.web.url}; to add app "apii" create apps/apii/deploy.json',
    ],
    [
      "a malformed secret reference, showing it",
      {
        "apps/api/deploy.json": { ...api, secrets: { TOKEN: "ssm:platform/token" } },
      },
      'apps/api/deploy.json: secrets.TOKEN = "ssm:platform/token": is not a valid secret reference. Fix: write it as "ssm:/<path>/<name>" (an SSM parameter) or "secretsmanager:<name-or-arn>[:<json-key>]", for example "ssm:/platform/api/TOKEN"',
    ],
    [
      "an override for an environment the platform does not have",
      {
        "apps/api/deploy.json": { ...api, environments: { qa: { desiredCount: 1 } } },
      },
      'apps/api/deploy.json: environments.qa = "qa": is not an environment of platform.config.json. Fix: use one of local, staging, prod, or declare "qa" under "environments" in platform.config.json',
    ],
    [
      "a bad account id, region and hosted zone id",
      {
        "platform.config.json": {
          ...validPlatform(),
          environments: {
            prod: { account: "12345", region: "eu-west", hostedZoneId: "z123" },
          },
        },
      },
      [
        'platform.config.json: environments.prod.account = "12345": is not valid. Fix: set environments.prod.account to the AWS account id as a string of 12 digits, for example "111111111111"',
        'platform.config.json: environments.prod.region = "eu-west": is not valid. Fix: set environments.prod.region to an AWS region code, for example "eu-west-1", "us-gov-west-1" or "ap-southeast-2"',
        'platform.config.json: environments.prod.hostedZoneId = "z123": is not valid. Fix: set environments.prod.hostedZoneId to the Route 53 hosted zone id of the domain: "Z" and up to 32 upper-case letters or digits, for example "Z0123456789ABCDEFGHIJ"',
      ].join("\n"),
    ],
    [
      "an app folder whose name cannot be an app name",
      { "apps/My_App/deploy.json": { subdomain: "mine", port: 80 } },
      'apps/My_App/deploy.json: (app name) = "My_App": is not a valid app name: the folder name becomes part of image, service and DNS names. Fix: rename the folder apps/My_App to lower-case letters, digits and hyphens, for example apps/my-app',
    ],
    [
      "an app without a package name",
      { "apps/api/package.json": { version: "1.0.0" } },
      'apps/api/package.json: name = (missing): must name the app\'s workspace package. Fix: set name to the package name, for example "@repo/api"',
    ],
  ] as const)("%s", (_title, files, message) => {
    expect(loadError(files).message).toBe(message);
  });

  it("a comment in the platform config as invalid JSON", () => {
    const error = loadError({ "platform.config.json": '// the platform\n{ "project": "demo" }' });
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(
      /^platform\.config\.json: \(file\) = "\/\/ the platform": is not valid JSON: unexpected "\/" \(JSON has no comments\) at line 1, column 1\. Fix: correct the JSON at line 1, column 1/,
    );
  });

  it("unknown keys nested in the platform config", () => {
    const platform = validPlatform();
    const error = loadError({
      "platform.config.json": {
        ...platform,
        environments: {
          local: { port: 8080 },
          staging: { account: "111111111111", region: "eu-west-1", zone: "Z123" },
        },
      },
    });
    expect(error.problems.map((problem) => [problem.field, problem.value])).toEqual([
      ["environments.local.port", 8080],
      ["environments.staging.zone", "Z123"],
    ]);
    expect(error.message).toContain(
      'platform.config.json: environments.local.port = 8080: is not a known key. Fix: remove "port"; allowed keys in environments.local: edgePort, registry',
    );
    expect(error.message).toContain(
      "allowed keys in environments.staging: account, region, domain, hostedZoneId, registry",
    );
  });

  it("a missing required field and a wrong type", () => {
    const error = loadError({ "apps/api/deploy.json": { subdomain: "api", cpu: "256" } });
    expect(error.message).toContain(
      "apps/api/deploy.json: port = (missing): is required. Fix: set port to the port the container listens on",
    );
    expect(error.message).toContain(
      'apps/api/deploy.json: cpu = "256": must be a number, not a string. Fix: set cpu to CPU units for the container, 1024 = 1 vCPU',
    );
  });

  it("a file that is not an object", () => {
    const error = loadError({ "apps/api/deploy.json": [] });
    expect(error.message).toMatch(
      /^apps\/api\/deploy\.json: \(file\) = \[\]: must be an object, not an array\. Fix: write the file as one JSON object \(how an app is deployed: subdomain, port, .*\)$/,
    );
  });

  it("minCount above maxCount", () => {
    const error = loadError({
      "apps/api/deploy.json": { ...api, minCount: 3, desiredCount: 2, maxCount: 1 },
    });
    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain(
      'minCount = {"minCount":3,"desiredCount":2,"maxCount":1}: needs minCount <= desiredCount <= maxCount, but minCount is 3, desiredCount 2 and maxCount 1. Fix: lower minCount to at most 1 or raise maxCount to at least 3',
    );
  });

  it("an unknown placeholder", () => {
    const error = loadError({
      "apps/api/deploy.json": { ...api, environment: { WEB: "${apps.web.host}", X: "${oops" } },
    });
    expect(error.problems.map((problem) => problem.message)).toEqual([
      "contains the unknown placeholder ${apps.web.host}",
      "contains the unknown placeholder ${oops",
    ]);
    expect(error.message).toContain(
      'apps/api/deploy.json: environment.WEB = "${apps.web.host}": contains the unknown placeholder ${apps.web.host}. Fix: use ${apps.<app>.url} (the URL of an app in the environment being deployed) or ${env.name} (the environment\'s name)',
    );
  });

  it("a secret written as a plain value, without printing it", () => {
    const error = loadError({
      "apps/api/deploy.json": { ...api, secrets: { DATABASE_URL: "postgres://u:hunter2@db/x" } },
    });
    expect(error.message).not.toContain("hunter2");
    expect(error.message).toBe(
      'apps/api/deploy.json: secrets.DATABASE_URL = (hidden, 25 characters): is a plain value, and secrets are never written into a manifest. Fix: store the value in SSM Parameter Store (aws ssm put-parameter --type SecureString --name /<project>/<app>/DATABASE_URL --value ...) or in Secrets Manager, and set it to "ssm:/<project>/<app>/DATABASE_URL" or "secretsmanager:<name>[:<json-key>]"',
    );
  });

  it("a secret-looking name in plain environment, in the base and in an override, without its value", () => {
    const error = loadError({
      "apps/api/deploy.json": {
        ...api,
        environment: { API_TOKEN: "ghp_abcdef123456", LOG_LEVEL: "info" },
        environments: { prod: { environment: { DB_PASSWORD: "hunter2hunter2" } } },
      },
    });
    expect(error.message).not.toContain("ghp_abcdef123456");
    expect(error.message).not.toContain("hunter2");
    expect(error.message).toBe(
      [
        'apps/api/deploy.json: environment.API_TOKEN = (hidden, 16 characters): is named like a secret: values in "environment" are written into the task definition in plain text, shown by describe-task-definition and the console to anyone who may read it. Fix: move it to "secrets": store the value in SSM Parameter Store (aws ssm put-parameter --type SecureString --name /<project>/<app>/API_TOKEN --value ...) and set secrets.API_TOKEN to "ssm:/<project>/<app>/API_TOKEN"; if it is not a secret, rename it so that no _-separated word is one of PASSWORD, PASSWORDS, PASSWD, PASSWDS, SECRET, SECRETS, TOKEN, TOKENS, KEY, KEYS, CREDENTIAL, CREDENTIALS',
        'apps/api/deploy.json: environments.prod.environment.DB_PASSWORD = (hidden, 14 characters): is named like a secret: values in "environment" are written into the task definition in plain text, shown by describe-task-definition and the console to anyone who may read it. Fix: move it to "secrets": store the value in SSM Parameter Store (aws ssm put-parameter --type SecureString --name /<project>/<app>/DB_PASSWORD --value ...) and set secrets.DB_PASSWORD to "ssm:/<project>/<app>/DB_PASSWORD"; if it is not a secret, rename it so that no _-separated word is one of PASSWORD, PASSWORDS, PASSWD, PASSWDS, SECRET, SECRETS, TOKEN, TOKENS, KEY, KEYS, CREDENTIAL, CREDENTIALS',
      ].join("\n"),
    );
  });

  it.each([
    "API_KEY",
    "STRIPE_SECRET",
    "GITHUB_TOKEN",
    "REFRESH_TOKENS",
    "AWS_CREDENTIALS",
    "SMTP_PASSWD",
    "KEY",
    "SIGNING_KEYS",
  ])("refuses %s in environment", (name) => {
    expect(
      loadError({ "apps/api/deploy.json": { ...api, environment: { [name]: "x" } } }).message,
    ).toMatch(
      new RegExp(`environment\\.${name} = \\(hidden, 1 characters\\): is named like a secret`),
    );
  });

  it("accepts names where the words are only part of a longer word, and the same names as secrets", () => {
    const loaded = load({
      "apps/api/deploy.json": {
        ...api,
        environment: {
          KEYCLOAK_URL: "https://id",
          MONKEY_MODE: "on",
          TOKENIZER: "bpe",
          PASSWORDLESS: "1",
        },
        secrets: { API_KEY: "ssm:/demo/api/API_KEY" },
      },
    });
    expect(
      Object.keys(loaded.apps.find((app) => app.name === "api")?.manifest.environment ?? {}),
    ).toEqual(["KEYCLOAK_URL", "MONKEY_MODE", "TOKENIZER", "PASSWORDLESS"]);
  });

  it("refuses PLATFORM_SECRET_NAMES as reserved, in environment and in secrets", () => {
    const error = loadError({
      "apps/api/deploy.json": {
        ...api,
        environment: { PLATFORM_SECRET_NAMES: "" },
        secrets: { PLATFORM_SECRET_NAMES: "ssm:/demo/api/x" },
      },
    });
    expect(error.message).toContain(
      'apps/api/deploy.json: environment.PLATFORM_SECRET_NAMES = "PLATFORM_SECRET_NAMES": is set by the platform itself.',
    );
    expect(error.message).toContain(
      'apps/api/deploy.json: secrets.PLATFORM_SECRET_NAMES = "PLATFORM_SECRET_NAMES": is set by the platform itself.',
    );
    // Reserved is the whole story: not also "named like a secret".
    expect(error.message).not.toContain("named like a secret");
  });

  it("a name in both environment and secrets, in the base and after an override", () => {
    const error = loadError({
      "apps/api/deploy.json": {
        ...api,
        environment: { TOKEN: "x", MODE: "a" },
        secrets: { TOKEN: "ssm:/demo/api/TOKEN" },
        environments: { staging: { secrets: { MODE: "secretsmanager:demo/mode" } } },
      },
    });
    expect(error.message).toContain(
      'apps/api/deploy.json: secrets.TOKEN = "ssm:/demo/api/TOKEN": is set in both environment and secrets. Fix: remove TOKEN from environment (keeping the secret) or from secrets',
    );
    // The base is reported first; an override is checked once the base itself is valid.
    const fixed = loadError({
      "apps/api/deploy.json": {
        ...api,
        environment: { MODE: "a" },
        environments: { staging: { secrets: { MODE: "secretsmanager:demo/mode" } } },
      },
    });
    expect(fixed.message).toBe(
      'apps/api/deploy.json: environments.staging.secrets.MODE = "secretsmanager:demo/mode": is set in both environment and secrets. Fix: remove MODE from environment (keeping the secret) or from secrets',
    );
  });

  it("bad project, domain and environment names", () => {
    const error = loadError({
      "platform.config.json": {
        project: "My Platform",
        domain: "example",
        environments: { Prod_1: { account: "222222222222", region: "eu-west-1" } },
      },
    });
    expect(error.problems.map((problem) => [problem.field, problem.value])).toEqual([
      ["project", "My Platform"],
      ["domain", "example"],
      ["environments.Prod_1", "Prod_1"],
    ]);
    expect(error.message).toContain(
      'platform.config.json: environments.Prod_1 = "Prod_1": is not a valid environment name. Fix: name the environment with 2 to 16 lower-case letters',
    );
  });

  it("every problem of every file at once", () => {
    const error = loadError({
      "platform.config.json": { ...validPlatform(), domain: "Example.com" },
      "apps/api/deploy.json": { ...api, port: 0 },
      "apps/web/deploy.json": { ...web, capacity: "spot" },
    });
    expect(error.problems.map((problem) => `${problem.file} ${problem.field}`)).toEqual([
      "platform.config.json domain",
      "apps/api/deploy.json port",
      "apps/web/deploy.json capacity",
    ]);
    expect(error.message.split("\n")).toHaveLength(3);
  });

  it("shortens long values to keep one line per problem", () => {
    const error = loadError({
      "apps/api/deploy.json": { ...api, healthCheckPath: "x".repeat(200) },
    });
    expect(error.message).toContain(`healthCheckPath = "${"x".repeat(76)}...: is not valid.`);
  });
});

describe("findRepoRoot", () => {
  it("finds the root from a folder inside it", () => {
    const root = writeRepo({ "platform.config.json": validPlatform(), "apps/api/src/x.ts": "" });
    expect(findRepoRoot(`${root}/apps/api/src`)).toBe(root);
  });

  it("says what to do when there is no platform.config.json", () => {
    const dir = writeRepo({ "readme.txt": "" });
    const error = configError(() => loadPlatform({ cwd: dir }));
    expect(error.message).toBe(
      `platform.config.json: (file) = ${JSON.stringify(dir)}: was not found in this directory or any parent directory. Fix: run the command inside the repository, or create platform.config.json at the repository root with at least "project" and "domain"`,
    );
  });
});

describe("loadPlatform", () => {
  it("skips app folders without deploy.json: they are not deployable", () => {
    const loaded = load({ "apps/docs/package.json": { name: "@repo/docs" } });
    expect(loaded.apps.map((app) => app.name)).toEqual(["api", "web"]);
  });

  it("fills defaults and reads the package name and version", () => {
    const [app] = load({}).apps;
    expect(app).toMatchObject({
      name: "api",
      packageName: "@repo/api",
      version: "1.2.3",
      manifest: {
        subdomain: "api",
        port: 8080,
        healthCheckPath: "/healthz",
        cpu: 256,
        memory: 512,
        desiredCount: 1,
        minCount: 1,
        maxCount: 2,
        capacity: "fargate",
        architecture: "x86_64",
        environment: {},
        secrets: {},
        environments: {},
      },
    });
    expect(app?.file).toBe(`${app?.dir}/deploy.json`);
  });

  it("defaults the version to 0.0.0", () => {
    const loaded = load({ "apps/api/package.json": { name: "@repo/api" } });
    expect(loaded.apps[0]?.version).toBe("0.0.0");
  });

  it("reads another platform config when given one, still finding apps from cwd", () => {
    const root = writeRepo({
      "platform.config.json": validPlatform(),
      "apps/api/deploy.json": api,
      "other/config.json": { ...validPlatform(), project: "other" },
    });
    const loaded = loadPlatform({ cwd: root, configFile: "other/config.json" });
    expect(loaded.platform.project).toBe("other");
    expect(loaded.configFile).toBe(`${root}/other/config.json`);
    expect(loaded.apps.map((app) => app.name)).toEqual(["api"]);
  });

  it("names a missing alternative config", () => {
    const root = writeRepo({ "platform.config.json": validPlatform() });
    const error = configError(() => loadPlatform({ cwd: root, configFile: "nope.json" }));
    expect(error.message).toMatch(/^nope\.json: \(file\) = ".*nope\.json": does not exist\. Fix: /);
  });
});

describe("findApp", () => {
  it("lists the known apps and how to add one", () => {
    const loaded = load({});
    const error = configError(() => findApp(loaded, "worker"));
    expect(error.message).toBe(
      'apps/worker/deploy.json: (file) = "worker": unknown app "worker": there is no apps/worker. Fix: use one of api, web, or make "worker" deployable by creating apps/worker/deploy.json',
    );
  });

  it("says when the folder exists but has no deploy.json", () => {
    const loaded = load({ "apps/docs/package.json": { name: "@repo/docs" } });
    expect(() => findApp(loaded, "docs")).toThrow(
      'unknown app "docs": apps/docs has no deploy.json, so it is not deployable',
    );
  });

  it("returns the app", () => {
    expect(findApp(load({}), "web").manifest.subdomain).toBe("web");
  });
});

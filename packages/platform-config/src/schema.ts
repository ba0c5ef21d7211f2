import { z } from "zod";
import { countProblems, overlapProblem, overlappingNames, placementProblems } from "./checks.js";
import { scanPlaceholders } from "./placeholders.js";
import { parseSecretRef } from "./secret-ref.js";

// Descriptions double as the editor help in the generated JSON schema and as the "Fix: set
// <field> to <description>" of every error, so each one says what a valid value looks like.
// Validation that needs other files (placeholders naming other apps, override environments,
// unique subdomains, overrides merged over the base) lives in load.ts.

/**
 * Variables the platform sets in every container itself (deploy-kit locally, the task definition
 * on AWS). A manifest may not set them: the platform's value would silently win.
 */
export const RESERVED_ENV = [
  "PORT",
  "DEPLOY_ENV",
  "APP_VERSION",
  "GIT_COMMIT",
  "NODE_ENV",
  // The names (never the values) of the app's `secrets`, comma-separated: server-kit reads it to
  // keep those variables' values out of every error and log line.
  "PLATFORM_SECRET_NAMES",
] as const;

/**
 * The words of a variable name (split at `_`) that mark it as a secret. Whole words only, so
 * KEYCLOAK_URL and MONKEY_MODE pass while API_KEY, DB_PASSWORD and GITHUB_TOKEN do not.
 */
export const SECRET_NAME_WORDS: ReadonlySet<string> = new Set([
  "PASSWORD",
  "PASSWORDS",
  "PASSWD",
  "PASSWDS",
  "SECRET",
  "SECRETS",
  "TOKEN",
  "TOKENS",
  "KEY",
  "KEYS",
  "CREDENTIAL",
  "CREDENTIALS",
]);

/** Whether an environment variable's name says it holds a secret (see SECRET_NAME_WORDS). */
export function isSecretLikeName(name: string): boolean {
  return name.split("_").some((word) => SECRET_NAME_WORDS.has(word));
}

/** A DNS label as RFC 1123 allows it (a leading digit is fine). */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** An environment variable name as POSIX shells and ECS accept it. */
export const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;

// Project and environment names start with a letter: they begin CloudFormation stack names
// and DEPLOY_ENV (see server-kit's env), which both require one.
const PROJECT = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;
/** An AWS environment's name in platform.config.json (`local` is built in). */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,14}[a-z0-9]$/;
/** What to do about a name that does not match ENVIRONMENT_NAME. */
export const ENVIRONMENT_NAME_FIX =
  "name the environment with 2 to 16 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen, for example staging or prod";
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const GITHUB_REPO = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const AWS_ACCOUNT = /^\d{12}$/;
const AWS_REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}[a-z]$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const OIDC_PROVIDER_ARN =
  /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;
const REGISTRY = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?(?:\/[a-z0-9._-]+)*$/;

/** Checks a registry address (`host[:port][/path]`), for values that do not come from a file. */
export function isRegistry(value: string): boolean {
  return REGISTRY.test(value);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const schemaRef = z
  .string()
  .describe("the JSON schema editors use for completion and checks; keep the generated path");

const registry = z
  .string()
  .regex(REGISTRY)
  .describe(
    "a container registry address host[:port][/path] in lower case, for example 127.0.0.1:5000 or 111111111111.dkr.ecr.eu-west-1.amazonaws.com",
  );

// The fields a person answers one at a time (npm run setup), exported so that every tool checks
// them with the same rule and explains them with the same words.

/** `project`: the name every container, stack and repository of the platform starts with. */
export const projectSchema = z
  .string()
  .regex(PROJECT)
  .describe(
    'the project name used in container, network and repository names: 1 to 20 lower-case letters, digits and hyphens, starting with a letter, for example "platform"',
  );

/** `domain`: apps live at `<subdomain>.<domain>`. */
export const domainSchema = z
  .string()
  .max(253)
  .regex(DOMAIN)
  .describe(
    'the DNS domain apps live under as <subdomain>.<domain>, in lower case, for example "example.com"',
  );

/** `github.owner`. */
export const githubOwnerSchema = z
  .string()
  .regex(GITHUB_OWNER)
  .describe(
    'the GitHub user or organization: up to 39 letters, digits and single hyphens, for example "example"',
  );

/** `github.repo`. */
export const githubRepoSchema = z
  .string()
  .regex(GITHUB_REPO)
  .describe(
    'the GitHub repository name: up to 100 letters, digits, ".", "_" and "-", for example "platform"',
  );

/** `github.ownerId` and `github.repositoryId`: GitHub's numeric ids, as strings. */
const githubIdSchema = (field: string, command: string) =>
  z
    .string()
    .regex(/^\d{1,20}$/)
    .describe(
      `the ${field}'s immutable numeric id on GitHub, as a string of digits, for example "123456" (\`${command}\`): the AWS roles trust this id, which survives a rename and is never reused, instead of only the name`,
    );

/** `environments.<env>.account`. */
export const awsAccountSchema = z
  .string()
  .regex(AWS_ACCOUNT)
  .describe('the AWS account id as a string of 12 digits, for example "111111111111"');

/** `environments.<env>.region`. */
export const awsRegionSchema = z
  .string()
  .regex(AWS_REGION)
  .describe('an AWS region code, for example "eu-west-1", "us-gov-west-1" or "ap-southeast-2"');

/** `environments.<env>.hostedZoneId`. */
export const hostedZoneIdSchema = z
  .string()
  .regex(HOSTED_ZONE_ID)
  .describe(
    'the Route 53 hosted zone id of the domain: "Z" and up to 32 upper-case letters or digits, for example "Z0123456789ABCDEFGHIJ"',
  );

const localEnvironmentSchema = z
  .strictObject({
    edgePort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "the port of the local edge router that serves http://<subdomain>.localhost:<port>, between 1 and 65535; default 8080",
      ),
    registry: registry
      .optional()
      .describe(
        "the registry local images are pushed to, host[:port][/path], for example 127.0.0.1:5000; default $REGISTRY, else 127.0.0.1:5000 (REGISTRY wins over this value)",
      ),
  })
  .describe(
    'the built-in local environment (Docker on this machine); optional, for example { "edgePort": 8080 }',
  );

const awsEnvironmentSchema = z
  .strictObject({
    account: awsAccountSchema,
    region: awsRegionSchema,
    domain: domainSchema
      .optional()
      .describe(
        'the domain apps of this environment live under, as <subdomain>.<domain>, for example "staging.example.com"; default the platform domain',
      ),
    hostedZoneId: hostedZoneIdSchema.optional(),
    registry: registry
      .optional()
      .describe(
        "the registry images are pushed to, host[:port][/path]; default the account's ECR registry <account>.dkr.ecr.<region>.amazonaws.com",
      ),
    availabilityZones: z
      .array(z.string().regex(AVAILABILITY_ZONE))
      .min(2)
      .max(3)
      .optional()
      .describe(
        'two or three availability zones of the region, named explicitly so synth needs no AWS credentials, for example ["eu-west-1a", "eu-west-1b"]; default <region>a and <region>b',
      ),
    network: z
      .enum(["public", "private"])
      .default("public")
      .describe(
        '"public": tasks in public subnets with public IPs and no NAT gateway (inbound only from the load balancer); "private": tasks in private subnets behind one NAT gateway per zone',
      ),
    ec2: z
      .strictObject({
        instanceType: z
          .string()
          .regex(INSTANCE_TYPE)
          .default("t3.micro")
          .describe('the EC2 instance type of the capacity provider, for example "t3.micro"'),
        minInstances: z
          .number()
          .int()
          .min(0)
          .max(100)
          .default(1)
          .describe("the fewest instances the Auto Scaling group keeps, 0 to 100"),
        maxInstances: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(2)
          .describe(
            "the most instances the Auto Scaling group starts, 1 to 100; at least 2 so a rolling update can place the new task",
          ),
        cpuCredits: z
          .enum(["standard", "unlimited"])
          .optional()
          .describe(
            'the CPU credit option of burstable (T2, T3, T3a, T4g) instances: "standard" (throttled to the baseline when credits run out) or "unlimited" (bursts on, billed per vCPU-hour beyond the credits); default "standard", and only for burstable types',
          ),
      })
      .optional()
      .describe(
        'the EC2 capacity provider, created when an app runs on "ec2" capacity or when this is set, for example { "instanceType": "t3.micro" }',
      ),
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: "is not a retention period CloudWatch Logs offers",
        params: { fix: `use one of ${LOG_RETENTION_DAYS.join(", ")}` },
      })
      .default(30)
      .describe("how many days app logs are kept, a CloudWatch Logs period such as 30"),
    githubOidcProviderArn: z
      .string()
      .regex(OIDC_PROVIDER_ARN)
      .optional()
      .describe(
        "the ARN of the account's existing GitHub OIDC provider (an account has one per URL); default: the platform creates one",
      ),
    loadBalancer: z
      .strictObject({
        deletionProtection: z
          .boolean()
          .optional()
          .describe(
            "whether the load balancer refuses deletion (cdk destroy included) until this is false and deployed; default true for the last environment of platform.config.json (production) and false for the others",
          ),
        accessLogRetentionDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .optional()
          .describe(
            "how many days the load balancer's access logs are kept, 1 to 3650; default 90",
          ),
      })
      .optional()
      .describe(
        'settings of the environment\'s load balancer, for example { "deletionProtection": true, "accessLogRetentionDays": 90 }',
      ),
    waf: z
      .strictObject({
        enabled: z
          .boolean()
          .describe(
            "whether the environment's load balancer gets an AWS WAF web ACL (billed monthly)",
          ),
        rateLimit: z
          .number()
          .int()
          .min(10)
          .max(2_000_000_000)
          .default(2000)
          .describe(
            "requests one IP address may send in 5 minutes before it is blocked, 10 to 2000000000; default 2000",
          ),
        allowLargeBodies: z
          .boolean()
          .default(false)
          .describe(
            "true to only count (not block) request bodies over 8 KB, which the common rule set blocks by default (its SizeRestrictions_BODY rule); for apps that accept uploads",
          ),
      })
      .optional()
      .describe(
        'an AWS WAF web ACL on the load balancer: the AWS managed common rule set and a rate limit per IP; off by default, for example { "enabled": true, "rateLimit": 2000 }',
      ),
  })
  .describe('an AWS environment, for example { "account": "111111111111", "region": "eu-west-1" }');

const environmentsSchema = z
  .strictObject({ local: localEnvironmentSchema.optional() })
  .catchall(awsEnvironmentSchema)
  .superRefine(
    (environments, ctx) => {
      for (const name of Object.keys(environments)) {
        if (name === "local" || ENVIRONMENT_NAME.test(name)) continue;
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: "is not a valid environment name",
          params: {
            value: name,
            fix: ENVIRONMENT_NAME_FIX,
          },
        });
      }
    },
    // Names are worth reporting even when an environment's own fields are wrong.
    { when: (payload) => isObject(payload.value) },
  )
  // Key names are checked above; this only tells editors about them.
  .meta({ propertyNames: { pattern: ENVIRONMENT_NAME.source } })
  .describe(
    'the environments: "local" is built in, every other key is an AWS environment, for example { "staging": { "account": "111111111111", "region": "eu-west-1" } }',
  );

/** The schema of `platform.config.json` at the repository root. */
export const platformConfigSchema = z
  .strictObject({
    $schema: schemaRef.optional(),
    project: projectSchema,
    domain: domainSchema,
    github: z
      .strictObject({
        owner: githubOwnerSchema,
        repo: githubRepoSchema,
        ownerId: githubIdSchema("owner", "gh api repos/<owner>/<repo> --jq .owner.id").optional(),
        repositoryId: githubIdSchema(
          "repository",
          "gh api repos/<owner>/<repo> --jq .id",
        ).optional(),
      })
      .optional()
      .describe(
        'the GitHub repository the deploy role trusts through OIDC, for example { "owner": "example", "repo": "platform", "ownerId": "123456", "repositoryId": "456789" }',
      ),
    environments: environmentsSchema.default({}),
  })
  .describe(
    "The platform config: project name, domain, GitHub repository and environments. One per repository, at its root.",
  );

const cpu = z
  .number()
  .int()
  .min(128)
  .max(16384)
  .describe("CPU units for the container, 1024 = 1 vCPU, between 128 and 16384, for example 256");
const memory = z
  .number()
  .int()
  .min(128)
  .max(122880)
  .describe("memory for the container in MiB, between 128 and 122880, for example 512");
const count = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    // ECS runs at most 5000 tasks per service.
    .max(5000)
    .describe(
      `${what}: a whole number of tasks from 0 to 5000, with minCount <= desiredCount <= maxCount`,
    );
const capacity = z
  .enum(["fargate", "fargate-spot", "ec2"])
  .describe('where tasks run: "fargate", "fargate-spot" or "ec2"');
// ECS's names (RuntimePlatform.CpuArchitecture, lower-cased), not Docker's: the value states
// what the tasks run on, and deploy-kit maps it to Docker's linux/amd64 or linux/arm64 to build.
const architecture = z
  .enum(["x86_64", "arm64"])
  .describe(
    'the CPU architecture the app\'s image is built for and its tasks run on: "x86_64" (Intel and AMD; Docker\'s linux/amd64) or "arm64" (AWS Graviton; Docker\'s linux/arm64)',
  );

const envVarName = z
  .string()
  .regex(ENV_VAR_NAME)
  .refine((name) => !(RESERVED_ENV as readonly string[]).includes(name), {
    message: "is set by the platform itself",
    params: {
      fix: `remove it: the platform sets ${RESERVED_ENV.join(", ")} in every container`,
    },
  })
  .describe(
    "an environment variable name: upper-case letters, digits and underscores, not starting with a digit, for example LOG_LEVEL",
  );

const environmentValue = z
  .string()
  .superRefine((value, ctx) => {
    for (const invalid of scanPlaceholders(value).invalid) {
      ctx.addIssue({
        code: "custom",
        message: `contains the unknown placeholder ${invalid}`,
        params: {
          fix: `use \${apps.<app>.url} (the URL of an app in the environment being deployed) or \${env.name} (the environment's name)`,
        },
      });
    }
  })
  .describe(
    `a string; \${apps.<app>.url} becomes that app's URL and \${env.name} the environment's name, for example \${apps.web.url}`,
  );

const environmentMap = z
  .record(envVarName, environmentValue)
  .superRefine(
    (environment, ctx) => {
      for (const [name, value] of Object.entries(environment)) {
        // Reserved names are refused by envVarName already (PLATFORM_SECRET_NAMES has SECRET in it).
        if ((RESERVED_ENV as readonly string[]).includes(name) || !isSecretLikeName(name)) continue;
        ctx.addIssue({
          code: "custom",
          path: [name],
          message:
            'is named like a secret: values in "environment" are written into the task definition in plain text, shown by describe-task-definition and the console to anyone who may read it',
          params: {
            // Named like a secret, so quite possibly the secret itself: keep it out of CI logs.
            hidden: typeof value === "string",
            fix: `move it to "secrets": store the value in SSM Parameter Store (aws ssm put-parameter --type SecureString --name /<project>/<app>/${name} --value ...) and set secrets.${name} to "ssm:/<project>/<app>/${name}"; if it is not a secret, rename it so that no _-separated word is one of ${[...SECRET_NAME_WORDS].join(", ")}`,
          },
        });
      }
    },
    { when: (payload) => isObject(payload.value) },
  )
  .describe(
    `environment variables of the container, name to string, for example { "LOG_LEVEL": "info", "API_URL": "\${apps.api.url}" }`,
  );

const SECRET_FORMS =
  '"ssm:/<path>/<name>" (an SSM parameter) or "secretsmanager:<name-or-arn>[:<json-key>]"';

const secretsMap = z
  .record(
    envVarName,
    z
      .string()
      .describe(
        `a reference to where the secret is stored: ${SECRET_FORMS}, for example "ssm:/platform/api/DATABASE_URL"`,
      ),
  )
  .superRefine(
    (secrets, ctx) => {
      for (const [name, raw] of Object.entries(secrets)) {
        if (typeof raw !== "string" || parseSecretRef(raw)) continue;
        const looksLikeRef = /^(?:ssm|secretsmanager):/.test(raw);
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: looksLikeRef
            ? "is not a valid secret reference"
            : "is a plain value, and secrets are never written into a manifest",
          params: {
            // A plain value here is most likely the secret itself: keep it out of CI logs.
            hidden: !looksLikeRef,
            fix: looksLikeRef
              ? `write it as ${SECRET_FORMS}, for example "ssm:/platform/api/${name}"`
              : `store the value in SSM Parameter Store (aws ssm put-parameter --type SecureString --name /<project>/<app>/${name} --value ...) or in Secrets Manager, and set it to "ssm:/<project>/<app>/${name}" or "secretsmanager:<name>[:<json-key>]"`,
          },
        });
      }
    },
    { when: (payload) => isObject(payload.value) },
  )
  .describe(
    `secrets injected as environment variables, name to reference: ${SECRET_FORMS}; never the value itself`,
  );

/** The fields an environment may override in an app manifest, all optional. */
const overrideSchema = z
  .strictObject({
    desiredCount: count("the number of tasks to run in this environment").optional(),
    minCount: count("the fewest tasks autoscaling keeps in this environment").optional(),
    maxCount: count("the most tasks autoscaling starts in this environment").optional(),
    cpu: cpu.optional(),
    memory: memory.optional(),
    capacity: capacity.optional(),
    architecture: architecture.optional(),
    environment: environmentMap.optional(),
    secrets: secretsMap.optional(),
  })
  .describe(
    "overrides for one environment; environment and secrets are merged over the base, other fields replace it",
  );

/** The schema of `apps/<app>/deploy.json`, which makes that app deployable. */
export const appManifestSchema = z
  .strictObject({
    $schema: schemaRef.optional(),
    subdomain: z
      .string()
      .regex(DNS_LABEL)
      .describe(
        'the app\'s subdomain, unique across apps: 1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, for example "api"',
      ),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .describe("the port the container listens on, between 1 and 65535, for example 8080"),
    healthCheckPath: z
      .string()
      .regex(/^\/\S*$/)
      .default("/healthz")
      .describe(
        'the path the load balancer checks, starting with "/" and without spaces, for example "/healthz"',
      ),
    cpu: cpu.default(256),
    memory: memory.default(512),
    desiredCount: count("the number of tasks to run").default(1),
    minCount: count("the fewest tasks autoscaling keeps").default(1),
    maxCount: count("the most tasks autoscaling starts").default(2),
    capacity: capacity.default("fargate"),
    architecture: architecture.default("x86_64"),
    listenerPriority: z
      .number()
      .int()
      .min(1)
      .max(50000)
      .optional()
      .describe(
        "the ALB listener rule priority, 1 to 50000; default one derived from the app's name, which never changes when other apps come or go",
      ),
    environment: environmentMap.default({}),
    secrets: secretsMap.default({}),
    environments: z
      .record(
        z
          .string()
          .regex(ENVIRONMENT_NAME)
          .describe('an environment name from platform.config.json, such as "local" or "prod"'),
        overrideSchema,
      )
      .default({})
      .describe(
        'overrides per environment name from platform.config.json (including "local"), for example { "prod": { "desiredCount": 2 } }',
      ),
  })
  .superRefine((manifest, ctx) => {
    for (const problem of countProblems(manifest)) ctx.addIssue(problem);
    for (const problem of placementProblems(manifest)) ctx.addIssue(problem);
    for (const name of overlappingNames(manifest.environment, manifest.secrets)) {
      ctx.addIssue(overlapProblem(name, ["secrets", name]));
    }
  })
  .describe(
    "How an app is deployed: subdomain, port, health check, size, task counts, capacity, CPU architecture, environment and secret references.",
  );

/** The platform config as read and defaulted. */
export type PlatformConfig = z.output<typeof platformConfigSchema>;
/** An app manifest as read and defaulted. */
export type AppManifest = z.output<typeof appManifestSchema>;
/** Where an app's tasks run. */
export type Capacity = z.output<typeof capacity>;
/** The CPU architecture an app's image is built for and its tasks run on. */
export type Architecture = z.output<typeof architecture>;
/** What one environment of an app manifest may override. */
export type AppOverride = z.output<typeof overrideSchema>;

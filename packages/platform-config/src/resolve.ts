import {
  countProblems,
  mergedCounts,
  mergedPlacement,
  placementField,
  placementProblems,
} from "./checks.js";
import { ConfigError, type ConfigProblem, HiddenValue } from "./errors.js";
import { displayPath, PLATFORM_CONFIG_FILE } from "./files.js";
import { problemFromCheck } from "./issues.js";
import type { AppEntry, LoadedPlatform } from "./load.js";
import { substitutePlaceholders } from "./placeholders.js";
import { type Architecture, type Capacity, isRegistry, type PlatformConfig } from "./schema.js";
import { parseSecretRef, type SecretRef } from "./secret-ref.js";

export type { SecretRef };

/** An environment with every default filled in: what a deploy to it needs to know. */
export type ResolvedEnvironment =
  | {
      name: "local";
      kind: "local";
      /** The local edge router's port: apps are at http://<subdomain>.localhost:<edgePort>. */
      edgePort: number;
      registry: string;
      /** True when neither $REGISTRY nor the config chose the registry (127.0.0.1:5000). */
      registryFromDefault: boolean;
    }
  | {
      name: string;
      kind: "aws";
      account: string;
      region: string;
      /** Apps are at https://<subdomain>.<domain>. */
      domain: string;
      hostedZoneId?: string;
      registry: string;
      /** Explicit, so `cdk synth` needs no credentials; default <region>a and <region>b. */
      availabilityZones: string[];
      network: "public" | "private";
      /** The EC2 capacity settings when given; infra also adds EC2 capacity when an app needs it. */
      ec2?: {
        instanceType: string;
        minInstances: number;
        maxInstances: number;
        /** Only when set; infra defaults burstable types to "standard". */
        cpuCredits?: "standard" | "unlimited";
      };
      logRetentionDays: number;
      githubOidcProviderArn?: string;
      /**
       * The load balancer's settings, defaults filled in. resolveEnvironment always sets it;
       * optional so that environments built by hand (tests) need not, and infra then uses the
       * non-production defaults.
       */
      loadBalancer?: ResolvedLoadBalancer;
      /** Present only when the config turns the web ACL on. */
      waf?: ResolvedWaf;
    };

export interface ResolvedLoadBalancer {
  /** Default true for the last AWS environment in file order (production), else false. */
  deletionProtection: boolean;
  /** Default 90. */
  accessLogRetentionDays: number;
}

export interface ResolvedWaf {
  /** Requests per IP per 5 minutes before the rate rule blocks. */
  rateLimit: number;
  /** Count, not block, the common rule set's SizeRestrictions_BODY matches. */
  allowLargeBodies: boolean;
}

/** How long access logs are kept when the config does not say. */
export const DEFAULT_ACCESS_LOG_RETENTION_DAYS = 90;

const DEFAULT_EDGE_PORT = 8080;
const DEFAULT_LOCAL_REGISTRY = "127.0.0.1:5000";

/** Every environment name: "local" first (it is built in), then the config's in file order. */
export function environmentNames(platform: PlatformConfig): string[] {
  return ["local", ...awsEnvironmentNames(platform)];
}

/** The AWS environments' names, in file order. */
export function awsEnvironmentNames(platform: PlatformConfig): string[] {
  return Object.keys(platform.environments).filter((name) => name !== "local");
}

/**
 * The environment called `name` with its defaults applied. For `local` the registry is
 * $REGISTRY, else `environments.local.registry`, else 127.0.0.1:5000: the variable wins over the
 * file so one machine or CI job can point elsewhere without editing a committed file.
 *
 * @param env where REGISTRY is read from; only the process entry point should pass process.env
 */
export function resolveEnvironment(
  platform: PlatformConfig,
  name: string,
  env: Record<string, string | undefined> = process.env,
): ResolvedEnvironment {
  if (name === "local") {
    const local = platform.environments.local;
    const fromEnv = env.REGISTRY?.trim() || undefined;
    if (fromEnv !== undefined && !isRegistry(fromEnv)) {
      throw new ConfigError([
        {
          file: "(environment variables)",
          field: "REGISTRY",
          value: fromEnv,
          message: "is not a container registry address",
          fix: `set REGISTRY to host[:port][/path] in lower case, for example ${DEFAULT_LOCAL_REGISTRY}, or unset it`,
        },
      ]);
    }
    const registry = fromEnv ?? local?.registry;
    return {
      name: "local",
      kind: "local",
      edgePort: local?.edgePort ?? DEFAULT_EDGE_PORT,
      registry: registry ?? DEFAULT_LOCAL_REGISTRY,
      registryFromDefault: registry === undefined,
    };
  }
  const aws = Object.hasOwn(platform.environments, name) ? platform.environments[name] : undefined;
  if (!aws) {
    const names = environmentNames(platform);
    throw new ConfigError([
      {
        file: PLATFORM_CONFIG_FILE,
        field: "environments",
        value: name,
        message: `has no environment "${name}"`,
        fix: `use one of ${names.join(", ")}, or declare it in ${PLATFORM_CONFIG_FILE} as "environments": { "${name}": { "account": "<12 digits>", "region": "<region>" } }`,
      },
    ]);
  }
  // China regions have their own DNS suffix for every AWS endpoint, ECR included.
  const suffix = aws.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return {
    name,
    kind: "aws",
    account: aws.account,
    region: aws.region,
    domain: aws.domain ?? platform.domain,
    ...(aws.hostedZoneId === undefined ? {} : { hostedZoneId: aws.hostedZoneId }),
    registry: aws.registry ?? `${aws.account}.dkr.ecr.${aws.region}.${suffix}`,
    availabilityZones: aws.availabilityZones ?? [`${aws.region}a`, `${aws.region}b`],
    network: aws.network,
    ...(aws.ec2 === undefined ? {} : { ec2: aws.ec2 }),
    logRetentionDays: aws.logRetentionDays,
    ...(aws.githubOidcProviderArn === undefined
      ? {}
      : { githubOidcProviderArn: aws.githubOidcProviderArn }),
    loadBalancer: {
      // The last environment is production by the template's convention (staging, then prod):
      // its load balancer survives an accidental `cdk destroy` unless the config says otherwise.
      deletionProtection:
        aws.loadBalancer?.deletionProtection ?? awsEnvironmentNames(platform).at(-1) === name,
      accessLogRetentionDays:
        aws.loadBalancer?.accessLogRetentionDays ?? DEFAULT_ACCESS_LOG_RETENTION_DAYS,
    },
    ...(aws.waf?.enabled
      ? { waf: { rateLimit: aws.waf.rateLimit, allowLargeBodies: aws.waf.allowLargeBodies } }
      : {}),
  };
}

/** The URL an app is reached at in `environment`, without a trailing slash. */
export function appUrl(
  app: { manifest: { subdomain: string } },
  environment: ResolvedEnvironment,
): string {
  const { subdomain } = app.manifest;
  if (environment.kind === "local") {
    const port = environment.edgePort === 80 ? "" : `:${environment.edgePort}`;
    return `http://${subdomain}.localhost${port}`;
  }
  return `https://${subdomain}.${environment.domain}`;
}

/** An app as deployed to one environment: overrides merged, placeholders and secrets resolved. */
export interface ResolvedApp {
  name: string;
  packageName: string;
  version: string;
  /** Absolute path of the app's folder. */
  dir: string;
  subdomain: string;
  url: string;
  port: number;
  healthCheckPath: string;
  cpu: number;
  memory: number;
  desiredCount: number;
  minCount: number;
  maxCount: number;
  capacity: Capacity;
  /**
   * The CPU architecture the app's image is built for and its tasks run on: the task
   * definition's runtimePlatform on Fargate, the instance type's on EC2, the build's --platform.
   */
  architecture: Architecture;
  /** The manifest's ALB listener rule priority, when it sets one. */
  listenerPriority?: number;
  /** Plain variables with placeholders substituted; the platform's own (PORT, ...) not included. */
  environment: Record<string, string>;
  secrets: Record<string, SecretRef>;
}

/**
 * `app` as deployed to `environment`: its override for that environment merged over the base,
 * `${apps.<app>.url}` and `${env.name}` substituted, secret references parsed. loadPlatform has
 * already validated all of this; the checks here only guard entries built by hand.
 */
export function resolveApp(
  loaded: LoadedPlatform,
  app: AppEntry,
  environment: ResolvedEnvironment,
): ResolvedApp {
  const { manifest } = app;
  const shown = displayPath(loaded.root, app.file);
  const override = Object.hasOwn(manifest.environments, environment.name)
    ? manifest.environments[environment.name]
    : undefined;
  const problems: ConfigProblem[] = [];

  const counts = mergedCounts(manifest, override);
  const placement = mergedPlacement(manifest, override);
  const prefix = override ? ["environments", environment.name] : [];
  const checks = [
    ...countProblems(counts, prefix),
    ...placementProblems(placement, prefix, override ? placementField(override) : "capacity"),
  ];
  for (const check of checks) {
    problems.push(problemFromCheck(check, manifest, shown));
  }

  const environmentVars: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    ...manifest.environment,
    ...override?.environment,
  })) {
    environmentVars[name] = substitutePlaceholders(value, (placeholder) => {
      if (placeholder.kind === "env-name") return environment.name;
      const target = loaded.apps.find((other) => other.name === placeholder.app);
      if (target) return appUrl(target, environment);
      problems.push({
        file: shown,
        field: `environment.${name}`,
        value,
        message: `refers to the unknown app "${placeholder.app}"`,
        fix: `use one of ${loaded.apps.map((other) => `\${apps.${other.name}.url}`).join(", ")}`,
      });
      return placeholder.raw;
    });
  }

  const secrets: Record<string, SecretRef> = {};
  for (const [name, raw] of Object.entries({ ...manifest.secrets, ...override?.secrets })) {
    const ref = parseSecretRef(raw);
    if (ref) secrets[name] = ref;
    else {
      problems.push({
        file: shown,
        field: `secrets.${name}`,
        // Not a reference, so quite possibly the secret itself: keep it out of logs.
        value: /^(?:ssm|secretsmanager):/.test(raw) ? raw : new HiddenValue(raw.length),
        message: "is not a secret reference",
        fix: 'set it to "ssm:/<path>/<name>" or "secretsmanager:<name-or-arn>[:<json-key>]"',
      });
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    name: app.name,
    packageName: app.packageName,
    version: app.version,
    dir: app.dir,
    subdomain: manifest.subdomain,
    url: appUrl(app, environment),
    port: manifest.port,
    healthCheckPath: manifest.healthCheckPath,
    cpu: override?.cpu ?? manifest.cpu,
    memory: override?.memory ?? manifest.memory,
    ...counts,
    ...placement,
    ...(manifest.listenerPriority === undefined
      ? {}
      : { listenerPriority: manifest.listenerPriority }),
    environment: environmentVars,
    secrets,
  };
}

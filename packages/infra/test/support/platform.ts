import type { ResolvedApp } from "@repo/platform-config/resolve";
import * as cdk from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { applyPlatformTags, cdkJsonContext } from "../../src/platform-app.js";
import { type AwsEnvironment, PlatformStack } from "../../src/platform-stack.js";

export const PROJECT = "platform";
export const GITHUB = { owner: "example", repo: "platform" } as const;

/** The staging environment of the repository's platform.config.json, as platform-config resolves it. */
export function awsEnvironment(overrides: Partial<AwsEnvironment> = {}): AwsEnvironment {
  return {
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
    ...overrides,
  };
}

/** An app like apps/api, resolved for staging. */
export function resolvedApp(overrides: Partial<ResolvedApp> = {}): ResolvedApp {
  const name = overrides.name ?? "api";
  return {
    name,
    packageName: `@repo/${name}`,
    version: "0.0.0",
    dir: `/repo/apps/${name}`,
    subdomain: name,
    url: `https://${name}.staging.example.com`,
    port: 8080,
    healthCheckPath: "/healthz",
    cpu: 256,
    memory: 512,
    desiredCount: 1,
    minCount: 1,
    maxCount: 4,
    capacity: "fargate",
    environment: {},
    secrets: {},
    ...overrides,
  };
}

/** A new App with cdk.json's context: the same feature flags and validation as `cdk synth`. */
export function newApp(): cdk.App {
  return new cdk.App({ context: cdkJsonContext() });
}

export interface PlatformFixtureOptions {
  environment?: Partial<AwsEnvironment>;
  /** @default the two apps api and web on Fargate */
  apps?: ResolvedApp[];
  /** `null` for a config without GitHub. @default GITHUB */
  github?: { owner: string; repo: string } | null;
  loadBalancerDeletionProtection?: boolean;
}

/** A tagged platform stack as bin/app.ts builds it, and its template. */
export function platformFixture(options: PlatformFixtureOptions = {}): {
  app: cdk.App;
  stack: PlatformStack;
  template: Template;
} {
  const app = newApp();
  const environment = awsEnvironment(options.environment);
  const github = options.github === undefined ? GITHUB : options.github;
  const stack = new PlatformStack(app, `${PROJECT}-${environment.name}-platform`, {
    project: PROJECT,
    ...(github ? { github } : {}),
    environment,
    apps: options.apps ?? [resolvedApp({ name: "api" }), resolvedApp({ name: "web" })],
    ...(options.loadBalancerDeletionProtection === undefined
      ? {}
      : { loadBalancerDeletionProtection: options.loadBalancerDeletionProtection }),
  });
  applyPlatformTags(stack, PROJECT, environment.name);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The one resource of `type` in the template, failing when there is not exactly one. */
export function only(template: Template, type: string): { id: string; resource: CfnResource } {
  const entries = Object.entries(template.findResources(type));
  if (entries.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  }
  const [id, resource] = entries[0] as [string, CfnResource];
  return { id, resource };
}

/** A resource of a synthesized template. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

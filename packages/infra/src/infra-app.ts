import { type LoadedPlatform, loadPlatform } from "@repo/platform-config/load";
import { awsNames } from "@repo/platform-config/names";
import * as cdk from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { AppServiceStack } from "./app-service-stack.js";
import {
  addPlatformStack,
  applyPlatformTags,
  awsEnvironments,
  resolvedApps,
} from "./platform-app.js";
import type { PlatformStack } from "./platform-stack.js";
import { listenerPriorities } from "./validation/priority.js";

export interface InfraAppOptions {
  /** Where to look for platform.config.json (this folder or a parent). Default: process.cwd(). */
  readonly cwd?: string;
  /** The app to add the stacks to. Default: a new App (which reads the CLI's context). */
  readonly app?: cdk.App;
  /**
   * Whether cdk-nag's AwsSolutions checks run at synth (a finding fails the synth).
   *
   * @default true
   */
  readonly nag?: boolean;
}

export interface InfraApp {
  readonly app: cdk.App;
  readonly loaded: LoadedPlatform;
  /** One per AWS environment. */
  readonly platformStacks: PlatformStack[];
  /** One per AWS environment and app. */
  readonly serviceStacks: AppServiceStack[];
}

/**
 * The whole CDK app from platform.config.json and apps/*\/deploy.json: for every AWS environment
 * (every one but local) the platform stack `<project>-<env>-platform`, then one service stack
 * `<project>-<env>-app-<app>` per app that depends on it. Every resource is tagged with the
 * project, the environment and `managed-by`. Throws platform-config's ConfigError when the
 * config cannot be deployed.
 */
export function buildInfraApp(options: InfraAppOptions = {}): InfraApp {
  const loaded = loadPlatform({ cwd: options.cwd ?? process.cwd() });
  const app = options.app ?? new cdk.App();
  const { project } = loaded.platform;
  const priorities = listenerPriorities(
    loaded.apps.map((entry) => ({
      name: entry.name,
      ...(entry.manifest.listenerPriority === undefined
        ? {}
        : { listenerPriority: entry.manifest.listenerPriority }),
    })),
  );

  const platformStacks: PlatformStack[] = [];
  const serviceStacks: AppServiceStack[] = [];
  for (const environment of awsEnvironments(loaded)) {
    const platform = addPlatformStack(app, loaded, environment);
    platformStacks.push(platform);
    const names = awsNames(project, environment.name);
    for (const resolved of resolvedApps(loaded, environment)) {
      const appNames = names.app(resolved.name);
      const listenerPriority = priorities[resolved.name];
      if (listenerPriority === undefined) {
        throw new Error(`internal: no listener priority for app ${resolved.name}`);
      }
      const service = new AppServiceStack(app, appNames.stack, {
        stackName: appNames.stack,
        env: { account: environment.account, region: environment.region },
        platform: platform.resources,
        app: resolved,
        names: appNames,
        listenerPriority,
      });
      service.addStackDependency(
        platform,
        "the service runs in the platform's cluster, behind its load balancer",
      );
      applyPlatformTags(service, project, environment.name);
      serviceStacks.push(service);
    }
  }

  if (options.nag ?? true) {
    cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { app, loaded, platformStacks, serviceStacks };
}

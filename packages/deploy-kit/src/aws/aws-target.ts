import { setTimeout as delay } from "node:timers/promises";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { awsNames } from "@repo/platform-config/names";
import type { ResolvedApp, ResolvedEnvironment } from "@repo/platform-config/resolve";
import { DeployError, EXIT, InterruptedError } from "../errors.js";
import { GitHubActions, markdownTable } from "../github.js";
import type { Reporter } from "../output.js";
import type {
  AppStatus,
  ReleaseInput,
  ReleaseOptions,
  ReleaseResult,
  Target,
} from "../targets/target.js";
import type { AwsClients } from "./clients.js";
import { diagnose, formatDiagnosis } from "./diagnose.js";
import { ecrDigest, tagRelease } from "./ecr.js";
import {
  chooseRollback,
  describeTaskDefinition,
  imageOf,
  isReleasedImage,
  listReleases,
  markOutcome,
  type ReconcileResult,
  type ReleaseRecord,
  reconcile,
  servingTaskDefinition,
  tagOf,
} from "./history.js";
import { withThrottlingRetry } from "./retry.js";
import { waitForStack } from "./stack.js";
import {
  diffTaskDefinitions,
  RELEASE_TAGS,
  registerableFields,
  renderTaskDefinition,
} from "./task-definition.js";
import { type DeploymentProgress, watchDeployment } from "./watch.js";

export type { ReleaseRecord } from "./history.js";

type AwsEnvironment = Extract<ResolvedEnvironment, { kind: "aws" }>;

/** What `deploy-kit reconcile` reports per app. */
export interface ReconcileReport extends Partial<ReconcileResult> {
  app: string;
  state: "recorded" | "up to date" | "in progress" | "not released" | "not deployed";
}

export interface AwsTargetDeps {
  clients: AwsClients;
  project: string;
  environment: AwsEnvironment;
  reporter: Reporter;
  env: Record<string, string | undefined>;
  /** Tests make waiting instant. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidIdentityToken",
]);

function progressLine(p: DeploymentProgress): string {
  const health =
    p.healthyTargets === undefined ? "" : `, healthy in the target group ${p.healthyTargets}`;
  return `${p.rolloutState.toLowerCase()}: desired ${p.desired}, running ${p.running}, pending ${p.pending}, failed ${p.failed}${health}`;
}

/**
 * The `aws` target: ECS services made by packages/infra. A release registers a new revision of
 * the service's current task definition with the new image pinned by digest, updates the
 * service, follows the deployment it created to its end, records the image in SSM on success,
 * and explains a failure from every place AWS keeps the reason.
 */
export class AwsTarget implements Target {
  readonly #deps: AwsTargetDeps;
  readonly #github: GitHubActions;
  #checked = false;

  constructor(deps: AwsTargetDeps) {
    this.#deps = deps;
    this.#github = new GitHubActions(deps.env);
  }

  private get awsNames() {
    return awsNames(this.#deps.project, this.#deps.environment.name);
  }

  private names(app: string) {
    return this.awsNames.app(app);
  }

  private get cluster(): string {
    return this.awsNames.cluster;
  }

  private repositoryUri(app: string): string {
    return `${this.#deps.environment.registry}/${this.names(app).repository}`;
  }

  private get envFlag(): string {
    return `--env ${this.#deps.environment.name}`;
  }

  /** Credentials present, and for the environment's account: before anything else touches AWS. */
  async checkCredentials(): Promise<void> {
    if (this.#checked) return;
    const { environment } = this.#deps;
    try {
      const identity = await this.#deps.clients.sts.send(new GetCallerIdentityCommand({}));
      if (identity.Account && identity.Account !== environment.account) {
        throw new DeployError(
          `The AWS credentials are for account ${identity.Account}, but environment "${environment.name}" is account ${environment.account}.`,
          {
            hint: `Use credentials for ${environment.account} (AWS_PROFILE, or the environment's deploy role in CI).`,
            exitCode: EXIT.usage,
          },
        );
      }
    } catch (err) {
      if (err instanceof DeployError) throw err;
      const name = (err as Error)?.name ?? "";
      if (CREDENTIAL_ERRORS.has(name) || /credential/i.test((err as Error)?.message ?? "")) {
        throw new DeployError(
          `No usable AWS credentials for environment "${environment.name}": ${(err as Error).message}`,
          {
            hint: "Locally: `aws sso login` or set AWS_PROFILE. In GitHub Actions: assume the environment's deploy role with aws-actions/configure-aws-credentials (OIDC).",
            exitCode: EXIT.usage,
          },
        );
      }
      throw err;
    }
    this.#checked = true;
  }

  /**
   * DescribeServices, with a missing cluster said in plain words (or, with `clusterMayBeMissing`,
   * taken as no service at all: before the platform's first deploy nothing runs).
   */
  private async describeServices(
    services: string[],
    clusterMayBeMissing = false,
  ): Promise<Service[]> {
    try {
      const result = await withThrottlingRetry(() =>
        this.#deps.clients.ecs.send(
          new DescribeServicesCommand({ cluster: this.cluster, services }),
        ),
      );
      return result.services ?? [];
    } catch (err) {
      if ((err as Error)?.name === "ClusterNotFoundException") {
        if (clusterMayBeMissing) return [];
        throw new DeployError(
          `The ECS cluster ${this.cluster} does not exist in ${this.#deps.environment.region} (account ${this.#deps.environment.account}): environment "${this.#deps.environment.name}" has no platform yet.`,
          {
            hint: `Create it: \`npx cdk deploy ${this.awsNames.platformStack}\` in packages/infra (then each app's stack, \`npx cdk deploy '${this.awsNames.app("*").stack}'\`).`,
          },
        );
      }
      throw err;
    }
  }

  private async describeService(app: string): Promise<Service> {
    const names = this.names(app);
    const [service] = (await this.describeServices([names.service])).filter(
      (s) => s.status !== "INACTIVE",
    );
    if (!service) {
      throw new DeployError(
        `The ECS service ${names.service} does not exist in cluster ${this.cluster}.`,
        { hint: `Create it: \`npx cdk deploy ${names.stack}\` in packages/infra.` },
      );
    }
    return service;
  }

  /**
   * Another deployment still rolling out: wait for it rather than stack a second one on it.
   * Returns the service as it is now (described again only when there was something to wait for).
   */
  private async waitForOthers(
    app: ResolvedApp,
    service: Service,
    options: Pick<ReleaseOptions, "timeoutMs" | "signal">,
  ): Promise<Service> {
    const busy = (service.deployments ?? []).find((d) => d.rolloutState === "IN_PROGRESS");
    if (!busy?.id) return service;
    const done = this.#deps.reporter.step(
      `wait for deployment ${busy.id} of ${app.name}, still in progress (started ${busy.createdAt?.toISOString() ?? "earlier"})`,
    );
    const outcome = await watchDeployment(
      {
        cluster: this.cluster,
        service: service.serviceName ?? app.name,
        deploymentId: busy.id,
        since: new Date(),
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        checkTargets: false,
      },
      { clients: this.#deps.clients, ...this.watchTiming() },
    );
    if (outcome.kind === "interrupted")
      throw new InterruptedError(`Interrupted while waiting for ${busy.id}; nothing was changed.`);
    if (outcome.kind === "timeout") {
      throw new DeployError(
        `Deployment ${busy.id} of ${app.name} was still in progress after ${Math.round(options.timeoutMs / 1000)} s; nothing was changed.`,
        {
          hint: `Follow it with \`deploy-kit status ${app.name} ${this.envFlag}\`, then try again; deploy-kit never stacks a deployment on one in progress.`,
        },
      );
    }
    done(outcome.kind === "completed" ? "it completed" : `it ended: ${outcome.reason}`);
    return this.describeService(app.name);
  }

  private watchTiming() {
    return {
      ...(this.#deps.sleep ? { sleep: this.#deps.sleep } : {}),
      ...(this.#deps.now ? { now: this.#deps.now } : {}),
    };
  }

  private now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  /**
   * Records what runs (see history.ts `reconcile`) and says what changed. Bookkeeping a read-only
   * caller may not be allowed to do is a warning, not a failure of the command that asked.
   */
  private async settle(app: ResolvedApp, service: Service): Promise<ReconcileResult | undefined> {
    const { reporter } = this.#deps;
    try {
      const result = await reconcile({
        clients: this.#deps.clients,
        names: this.names(app.name),
        repositoryUri: this.repositoryUri(app.name),
        service,
        now: new Date(this.now()),
        warn: (text) => reporter.warn(`${app.name}: ${text}`),
      });
      if (result.confirmed) {
        reporter.info(
          `${app.name}: release ${result.confirmed.split("/").pop()} runs and its deployment completed: recorded as succeeded`,
        );
      }
      if (result.recordedOver !== undefined) {
        reporter.info(
          `${app.name}: recorded the running image ${result.image} in ${this.names(app.name).imageParameter} (it held ${result.recordedOver})`,
        );
      }
      return result;
    } catch (err) {
      const name = (err as Error)?.name ?? "";
      if (name !== "AccessDeniedException" && name !== "AccessDenied") throw err;
      reporter.warn(
        `${app.name}: could not record what runs (${(err as Error).message}); run \`deploy-kit reconcile ${app.name} ${this.envFlag}\` with the environment's deploy role`,
      );
      return undefined;
    }
  }

  async release(input: ReleaseInput, options: ReleaseOptions): Promise<ReleaseResult> {
    const { app } = input;
    const { clients, reporter } = this.#deps;
    const begin = this.now();
    const elapsed = () => Number(((this.now() - begin) / 1000).toFixed(2));
    const names = this.names(app.name);
    await this.checkCredentials();

    // The image, pinned by digest: a tag could be pushed again, a digest cannot.
    let image = input.image;
    if (!image.includes("@sha256:")) {
      const digest = await ecrDigest(
        clients,
        names.repository,
        input.tag,
        this.awsNames.platformStack,
      );
      if (!digest) {
        throw new DeployError(`There is no image ${names.repository}:${input.tag} in ECR.`, {
          hint: `Push it first: \`deploy-kit push ${app.name} ${this.envFlag}\` (or use deploy).`,
        });
      }
      image = `${this.repositoryUri(app.name)}@${digest}`;
    }

    if (!options.dryRun) await this.waitForStackUpdate(app, options);
    let service = await this.describeService(app.name);
    if (!options.dryRun) {
      service = await this.waitForOthers(app, service, options);
      await this.settle(app, service);
    }
    // Events from before the update belong to earlier releases.
    const since = new Date(this.now() - 5_000);
    const described = await clients.ecs.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: service.taskDefinition,
        include: ["TAGS"],
      }),
    );
    if (!described.taskDefinition)
      throw new DeployError(`ECS did not return the task definition ${service.taskDefinition}.`, {
        hint: "Nothing was changed: release again.",
      });
    const next = renderTaskDefinition(described.taskDefinition, described.tags ?? [], {
      container: names.container,
      image,
      commit: input.commit,
      version: app.version,
      tag: input.tag,
    });
    const base = { app: app.name, url: app.url, image, commit: input.commit, tag: input.tag };
    if (options.dryRun) {
      reporter.info(
        `would register a new revision of ${next.family} (from ${service.taskDefinition}), differing in:`,
      );
      const current = {
        ...registerableFields(described.taskDefinition),
        tags: described.tags ?? [],
      };
      for (const line of diffTaskDefinitions(current, next)) reporter.info(`  ${line}`);
      reporter.info(`and update service ${names.service} in ${this.cluster} to it`);
      return {
        ...base,
        release: "(dry run)",
        previous: service.taskDefinition ?? "",
        seconds: elapsed(),
        dryRun: true,
      };
    }

    const registered = reporter.step(`register a new revision of ${next.family}`);
    const result = await clients.ecs.send(new RegisterTaskDefinitionCommand(next));
    const taskDefinition = result.taskDefinition?.taskDefinitionArn;
    if (!taskDefinition)
      throw new DeployError("ECS registered the task definition but returned no ARN.", {
        hint: "The service was not changed: release again.",
      });
    registered(`revision ${result.taskDefinition?.revision}`);

    // Before its first release the service runs no task (see packages/infra): give it its count.
    const firstRelease = (service.desiredCount ?? 0) === 0;
    const updated = reporter.step(`update service ${names.service} in ${this.cluster}`);
    const update = await clients.ecs.send(
      new UpdateServiceCommand({
        cluster: this.cluster,
        service: names.service,
        taskDefinition,
        ...(firstRelease ? { desiredCount: app.desiredCount } : {}),
      }),
    );
    const deployment = update.service?.deployments?.find(
      (d) => d.taskDefinition === taskDefinition && d.status === "PRIMARY",
    );
    if (!deployment?.id)
      throw new DeployError(
        `ECS updated the service to ${taskDefinition} but reports no deployment of it.`,
        {
          hint: `Follow the service with \`deploy-kit status ${app.name} ${this.envFlag}\`; the next deploy-kit command records what runs.`,
        },
      );
    updated(`${deployment.id}${firstRelease ? `, desired count ${app.desiredCount}` : ""}`);
    const started = {
      ...base,
      release: taskDefinition,
      ...(service.taskDefinition ? { previous: service.taskDefinition } : {}),
      deployment: deployment.id,
    };

    if (options.wait === false) {
      reporter.info(
        `not waiting: ECS rolls ${deployment.id} out on its own. Once it completes, the next deploy-kit command for ${app.name} (or \`deploy-kit reconcile ${app.name} ${this.envFlag}\`) records its image; until then rollback does not count it. Follow it with \`deploy-kit status ${app.name} ${this.envFlag}\``,
      );
      return { ...started, waited: false, seconds: elapsed() };
    }

    const waiting = reporter.step(
      `wait for ${deployment.id} (timeout ${Math.round(options.timeoutMs / 1000)} s)`,
    );
    let trafficAt: number | undefined;
    const outcome = await watchDeployment(
      {
        cluster: this.cluster,
        service: names.service,
        deploymentId: deployment.id,
        since,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      },
      {
        clients,
        ...this.watchTiming(),
        onProgress: (progress) => {
          if (trafficAt === undefined && progress.running > 0) trafficAt = this.now();
          reporter.info(progressLine(progress));
        },
        onEvent: (event) =>
          reporter.info(`event ${event.at.toISOString().slice(11, 19)} ${event.message}`),
      },
    );

    if (outcome.kind === "completed") {
      waiting("completed");
      // First what CloudFormation reads (the image parameter), then the history.
      await clients.ssm.send(
        new PutParameterCommand({
          Name: names.imageParameter,
          Value: image,
          Type: "String",
          Overwrite: true,
        }),
      );
      await markOutcome(clients, taskDefinition, "succeeded").catch((err: Error) =>
        reporter.warn(
          `could not mark ${taskDefinition} as succeeded (${err.message}); rollback counts it once \`deploy-kit reconcile ${app.name} ${this.envFlag}\` can`,
        ),
      );
      const digest = image.slice(image.indexOf("@") + 1);
      const tag = await tagRelease(clients, names.repository, digest, new Date(this.now())).catch(
        (err: Error) => {
          reporter.warn(
            `could not add the release tag in ECR (${err.message}); the release itself succeeded`,
          );
          return undefined;
        },
      );
      const seconds = elapsed();
      this.#github.summary(
        `### ${app.name} released to ${this.#deps.environment.name}\n\n${markdownTable([
          ["App", app.name],
          ["Environment", this.#deps.environment.name],
          ["Commit", input.commit],
          ["Image", image],
          ["Task definition", taskDefinition],
          ["URL", app.url],
          ["Duration", `${seconds} s`],
        ])}\n`,
      );
      return {
        ...started,
        ...(tag ? { releaseTag: tag } : {}),
        secondsToTraffic: Number((((trafficAt ?? this.now()) - begin) / 1000).toFixed(2)),
        seconds,
      };
    }

    if (outcome.kind === "interrupted") {
      throw new InterruptedError(
        `Interrupted while waiting for ${deployment.id}: the deployment goes on in AWS as ECS runs it (deploy-kit changed nothing more). The next deploy-kit command for ${app.name} records what runs once it ends; follow it with \`deploy-kit status ${app.name} ${this.envFlag}\`.`,
      );
    }
    if (outcome.kind === "failed") {
      await markOutcome(clients, taskDefinition, "failed").catch((err: Error) =>
        reporter.warn(`could not mark ${taskDefinition} as failed (${err.message})`),
      );
    }
    const diagnosis = await diagnose(clients, {
      cluster: this.cluster,
      service: names.service,
      deploymentId: deployment.id,
      since,
      app: app.name,
      environment: this.#deps.environment.name,
    });
    const lines = formatDiagnosis(diagnosis);
    const why =
      outcome.kind === "timeout"
        ? `did not complete within ${Math.round(options.timeoutMs / 1000)} s; ECS goes on with it as it is (deploy-kit changed nothing more, and the next deploy-kit command records what runs once it ends)`
        : `${outcome.reason.replace(/[.\s]+$/, "")}${outcome.rolledBack ? "; ECS put the previous revision back" : ""}`;
    const message = `The release of ${app.name} ${input.tag} to ${this.#deps.environment.name} failed: ${why}.`;
    const hint = diagnosis.hints[0];
    this.#github.error(`${app.name}: release failed`, [message, ...lines].join("\n"));
    this.#github.summary(
      `### ${app.name}: release to ${this.#deps.environment.name} failed\n\n${message}\n\n\`\`\`\n${lines.join("\n")}\n\`\`\`\n`,
    );
    // The diagnosis ends with every hint under "What to do"; the error's hint is the first one,
    // so the details stop before that section rather than print it twice.
    const whatToDo = lines.indexOf("What to do");
    const details = hint && whatToDo > 0 ? trimBlank(lines.slice(0, whatToDo)) : lines;
    const more =
      diagnosis.hints.length > 1
        ? ` (and ${diagnosis.hints.length - 1} more: \`deploy-kit diagnose ${app.name} ${this.envFlag}\`)`
        : "";
    throw new DeployError(message, {
      details,
      ...(hint ? { hint: `${hint.title}: ${hint.fix}${more}` } : {}),
    });
  }

  /** Waits while the app's stack is being changed by CloudFormation (see stack.ts). */
  private async waitForStackUpdate(
    app: ResolvedApp,
    options: Pick<ReleaseOptions, "timeoutMs" | "signal">,
  ): Promise<void> {
    const stack = this.names(app.name).stack;
    let done: ((outcome?: string) => void) | undefined;
    const waited = await waitForStack({
      clients: this.#deps.clients,
      stack,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      sleep: this.#deps.sleep ?? ((ms) => pause(ms, options.signal)),
      now: () => this.now(),
      onWait: (status) => {
        done = this.#deps.reporter.step(
          `wait for stack ${stack}: it is ${status} (a \`cdk deploy\` is changing ${app.name}'s service); the release starts when it ends`,
        );
      },
    });
    done?.(`waited ${(waited / 1000).toFixed(0)} s`);
  }

  async status(apps: ResolvedApp[]): Promise<AppStatus[]> {
    await this.checkCredentials();
    const { clients } = this.#deps;
    const statuses: AppStatus[] = [];
    const services = new Map<string, Service>();
    const wanted = apps.map((app) => this.names(app.name).service);
    // DescribeServices takes up to 10 services a call.
    for (let i = 0; i < wanted.length; i += 10) {
      for (const service of await this.describeServices(wanted.slice(i, i + 10)))
        if (service.serviceName) services.set(service.serviceName, service);
    }
    for (const app of apps) {
      const names = this.names(app.name);
      const service = services.get(names.service);
      if (!service || service.status === "INACTIVE") {
        statuses.push({ app: app.name, url: app.url, state: "not deployed", history: [] });
        continue;
      }
      await this.settle(app, service);
      const primary = service.deployments?.find((d) => d.status === "PRIMARY");
      const described = service.taskDefinition
        ? await describeTaskDefinition(clients, service.taskDefinition)
        : undefined;
      const image = imageOf(described, names.container);
      const commit = tagOf(described, RELEASE_TAGS.commit);
      const health = `${primary?.rolloutState?.toLowerCase() ?? "unknown"}, running ${service.runningCount ?? 0}/${service.desiredCount ?? 0}`;
      if (!isReleasedImage(image, this.repositoryUri(app.name)) && !commit) {
        // CloudFormation's first revision with its placeholder image, at 0 tasks.
        statuses.push({ app: app.name, url: app.url, state: "not released", health, history: [] });
        continue;
      }
      const healthy =
        primary?.rolloutState === "COMPLETED" &&
        (service.runningCount ?? 0) >= (service.desiredCount ?? 0);
      statuses.push({
        app: app.name,
        url: app.url,
        state: healthy ? "running" : "unhealthy",
        release: service.taskDefinition?.split("/").pop() ?? "",
        ...(image ? { image } : {}),
        ...(commit ? { commit } : {}),
        health,
        ...(primary?.updatedAt ? { since: primary.updatedAt.toISOString() } : {}),
        history: [],
      });
    }
    return statuses;
  }

  /** The app's releases, newest first, each with its outcome; what runs is `current`. */
  async releases(app: ResolvedApp, limit = 20): Promise<ReleaseRecord[]> {
    await this.checkCredentials();
    const service = await this.describeService(app.name);
    await this.settle(app, service);
    const running = await this.runningImage(app, service);
    return listReleases(this.#deps.clients, this.names(app.name), running, limit);
  }

  private async runningImage(app: ResolvedApp, service: Service): Promise<string | undefined> {
    const serving = servingTaskDefinition(service).taskDefinition;
    if (!serving) return undefined;
    return imageOf(
      await describeTaskDefinition(this.#deps.clients, serving),
      this.names(app.name).container,
    );
  }

  async rollbackTarget(app: ResolvedApp, to: string | undefined): Promise<ReleaseInput> {
    await this.checkCredentials();
    const service = await this.describeService(app.name);
    await this.settle(app, service);
    const running = await this.runningImage(app, service);
    const records = await listReleases(this.#deps.clients, this.names(app.name), running);
    const choice = chooseRollback(records, running, to);
    if (choice.kind === "none") {
      const succeeded = records.filter((r) => r.outcome === "succeeded" && !r.current);
      const known =
        succeeded.map((r) => `${r.tag} (revision ${r.revision})`).join(", ") ||
        "none that succeeded";
      throw new DeployError(choice.reason, {
        hint: `Earlier releases that succeeded: ${known}. \`deploy-kit releases ${app.name} ${this.envFlag}\` lists every release with its outcome.`,
      });
    }
    const { record } = choice;
    return { app, image: record.image, commit: record.commit, tag: record.tag };
  }

  /**
   * `deploy-kit reconcile`: for each app, waits for a deployment in progress (when `wait`), then
   * records what runs. The infra workflow runs it before `cdk deploy`, so that CloudFormation
   * reads the image that runs, whatever way the last release ended.
   */
  async reconcileApps(
    apps: ResolvedApp[],
    options: { wait: boolean; timeoutMs: number; signal: AbortSignal },
  ): Promise<ReconcileReport[]> {
    await this.checkCredentials();
    const reports: ReconcileReport[] = [];
    for (const app of apps) {
      // Run before the platform's first `cdk deploy` too: no cluster yet means nothing runs.
      const [found] = (await this.describeServices([this.names(app.name).service], true)).filter(
        (s) => s.status !== "INACTIVE",
      );
      if (!found) {
        reports.push({ app: app.name, state: "not deployed" });
        continue;
      }
      const service = options.wait ? await this.waitForOthers(app, found, options) : found;
      const result = await this.settle(app, service);
      if (!result) throw new DeployError(`Could not record what ${app.name} runs.`);
      const state: ReconcileReport["state"] = result.inProgress
        ? "in progress"
        : !result.image
          ? "not released"
          : result.recordedOver !== undefined || result.confirmed
            ? "recorded"
            : "up to date";
      reports.push({ app: app.name, state, ...result });
    }
    return reports;
  }

  /** On-demand diagnosis of an app's service (`deploy-kit diagnose`). */
  async diagnose(app: ResolvedApp): Promise<string[]> {
    await this.checkCredentials();
    const service = await this.describeService(app.name);
    return formatDiagnosis(
      await diagnose(
        this.#deps.clients,
        {
          cluster: this.cluster,
          service: this.names(app.name).service,
          app: app.name,
          environment: this.#deps.environment.name,
        },
        service,
      ),
    );
  }
}

/** Lines without blank ones at either end. */
function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && !lines[start]?.trim()) start++;
  while (end > start && !lines[end - 1]?.trim()) end--;
  return lines.slice(start, end);
}

const pause = (ms: number, signal?: AbortSignal) =>
  delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);

import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
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
import { withThrottlingRetry } from "./retry.js";
import {
  diffTaskDefinitions,
  RELEASE_TAGS,
  registerableFields,
  renderTaskDefinition,
} from "./task-definition.js";
import { type DeploymentProgress, watchDeployment } from "./watch.js";

type AwsEnvironment = Extract<ResolvedEnvironment, { kind: "aws" }>;

/** One release that `rollback` can go back to: a task definition revision deploy-kit registered. */
export interface ReleaseRecord {
  revision: number;
  taskDefinition: string;
  image: string;
  commit: string;
  tag: string;
  version: string;
  registeredAt: string;
  current: boolean;
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

  private names(app: string) {
    return awsNames(this.#deps.project, this.#deps.environment.name).app(app);
  }

  private get cluster(): string {
    return awsNames(this.#deps.project, this.#deps.environment.name).cluster;
  }

  private repositoryUri(app: string): string {
    return `${this.#deps.environment.registry}/${this.names(app).repository}`;
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

  private async describeService(app: string): Promise<Service> {
    const names = this.names(app);
    const result = await withThrottlingRetry(() =>
      this.#deps.clients.ecs.send(
        new DescribeServicesCommand({ cluster: this.cluster, services: [names.service] }),
      ),
    );
    const service = result.services?.find((s) => s.status !== "INACTIVE");
    if (!service) {
      throw new DeployError(
        `The ECS service ${names.service} does not exist in cluster ${this.cluster}.`,
        {
          hint: `Create it: \`npx cdk deploy ${names.stack}\` in packages/infra.`,
        },
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
    options: ReleaseOptions,
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
          hint: "Follow it with `deploy-kit status`, then release again; deploy-kit never stacks a deployment on one in progress.",
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

  async release(input: ReleaseInput, options: ReleaseOptions): Promise<ReleaseResult> {
    const { app } = input;
    const { clients, reporter } = this.#deps;
    const now = this.#deps.now ?? Date.now;
    const begin = now();
    const since = new Date(begin - 5_000);
    const elapsed = () => Number(((now() - begin) / 1000).toFixed(2));
    const names = this.names(app.name);
    await this.checkCredentials();

    // The image, pinned by digest: a tag could be pushed again, a digest cannot.
    let image = input.image;
    if (!image.includes("@sha256:")) {
      const digest = await ecrDigest(clients, names.repository, input.tag);
      if (!digest) {
        throw new DeployError(`There is no image ${names.repository}:${input.tag} in ECR.`, {
          hint: `Push it first: \`deploy-kit push ${app.name} --env ${this.#deps.environment.name}\` (or use deploy).`,
        });
      }
      image = `${this.repositoryUri(app.name)}@${digest}`;
    }

    let service = await this.describeService(app.name);
    if (!options.dryRun) service = await this.waitForOthers(app, service, options);
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
        secondsToTraffic: 0,
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
          hint: `Follow the service with \`deploy-kit status ${app.name} --env ${this.#deps.environment.name}\`.`,
        },
      );
    updated(`${deployment.id}${firstRelease ? `, desired count ${app.desiredCount}` : ""}`);

    if (options.wait === false) {
      reporter.info(
        `not waiting: follow it with \`deploy-kit status ${app.name} --env ${this.#deps.environment.name}\``,
      );
      return {
        ...base,
        release: taskDefinition,
        ...(service.taskDefinition ? { previous: service.taskDefinition } : {}),
        deployment: deployment.id,
        secondsToTraffic: 0,
        seconds: elapsed(),
      };
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
          if (trafficAt === undefined && progress.running > 0) trafficAt = now();
          reporter.info(progressLine(progress));
        },
        onEvent: (event) =>
          reporter.info(`event ${event.at.toISOString().slice(11, 19)} ${event.message}`),
      },
    );

    if (outcome.kind === "completed") {
      waiting("completed");
      await clients.ssm.send(
        new PutParameterCommand({
          Name: names.imageParameter,
          Value: image,
          Type: "String",
          Overwrite: true,
        }),
      );
      const digest = image.slice(image.indexOf("@") + 1);
      const tag = await tagRelease(clients, names.repository, digest, new Date(now())).catch(
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
        ...base,
        release: taskDefinition,
        ...(service.taskDefinition ? { previous: service.taskDefinition } : {}),
        deployment: deployment.id,
        ...(tag ? { releaseTag: tag } : {}),
        secondsToTraffic: Number((((trafficAt ?? now()) - begin) / 1000).toFixed(2)),
        seconds,
      };
    }

    if (outcome.kind === "interrupted") {
      throw new InterruptedError(
        `Interrupted while waiting for ${deployment.id}: the deployment goes on in AWS as ECS runs it (deploy-kit changed nothing more). Follow it with \`deploy-kit status ${app.name} --env ${this.#deps.environment.name}\`.`,
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
        ? `did not complete within ${Math.round(options.timeoutMs / 1000)} s; ECS goes on with it as it is (deploy-kit changed nothing more)`
        : `${outcome.reason}${outcome.rolledBack ? "; ECS put the previous revision back" : ""}`;
    const message = `The release of ${app.name} ${input.tag} to ${this.#deps.environment.name} failed: ${why}.`;
    const hint = diagnosis.hints[0];
    this.#github.error(`${app.name}: release failed`, [message, ...lines].join("\n"));
    this.#github.summary(
      `### ${app.name}: release to ${this.#deps.environment.name} failed\n\n${message}\n\n\`\`\`\n${lines.join("\n")}\n\`\`\`\n`,
    );
    throw new DeployError(message, {
      details: lines,
      ...(hint ? { hint: `${hint.title}: ${hint.fix}` } : {}),
    });
  }

  async status(apps: ResolvedApp[]): Promise<AppStatus[]> {
    await this.checkCredentials();
    const { clients } = this.#deps;
    const statuses: AppStatus[] = [];
    const names = apps.map((app) => this.names(app.name).service);
    const services = new Map<string, Service>();
    // DescribeServices takes up to 10 services a call.
    for (let i = 0; i < names.length; i += 10) {
      const result = await clients.ecs.send(
        new DescribeServicesCommand({ cluster: this.cluster, services: names.slice(i, i + 10) }),
      );
      for (const service of result.services ?? [])
        if (service.serviceName) services.set(service.serviceName, service);
    }
    for (const app of apps) {
      const service = services.get(this.names(app.name).service);
      if (!service || service.status === "INACTIVE") {
        statuses.push({ app: app.name, url: app.url, state: "not deployed", history: [] });
        continue;
      }
      const primary = service.deployments?.find((d) => d.status === "PRIMARY");
      const described = service.taskDefinition
        ? await clients.ecs.send(
            new DescribeTaskDefinitionCommand({
              taskDefinition: service.taskDefinition,
              include: ["TAGS"],
            }),
          )
        : undefined;
      const container = described?.taskDefinition?.containerDefinitions?.find(
        (c) => c.name === this.names(app.name).container,
      );
      const commit = described?.tags?.find((t) => t.key === RELEASE_TAGS.commit)?.value;
      const healthy =
        primary?.rolloutState === "COMPLETED" &&
        (service.runningCount ?? 0) >= (service.desiredCount ?? 0);
      statuses.push({
        app: app.name,
        url: app.url,
        state: healthy ? "running" : "unhealthy",
        release: service.taskDefinition?.split("/").pop() ?? "",
        ...(container?.image ? { image: container.image } : {}),
        ...(commit ? { commit } : {}),
        health: `${primary?.rolloutState?.toLowerCase() ?? "unknown"}, running ${service.runningCount ?? 0}/${service.desiredCount ?? 0}`,
        ...(primary?.updatedAt ? { since: primary.updatedAt.toISOString() } : {}),
        history: [],
      });
    }
    return statuses;
  }

  /** The releases of an app that rollback can go back to, newest first. */
  async releases(app: ResolvedApp, limit = 20): Promise<ReleaseRecord[]> {
    await this.checkCredentials();
    const { clients } = this.#deps;
    const names = this.names(app.name);
    const service = await this.describeService(app.name);
    const listed = await clients.ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: names.taskFamily,
        sort: "DESC",
        maxResults: limit,
      }),
    );
    const records: ReleaseRecord[] = [];
    for (const arn of listed.taskDefinitionArns ?? []) {
      const described = await withThrottlingRetry(() =>
        clients.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] }),
        ),
      );
      const definition = described.taskDefinition;
      const tag = (key: string) => described.tags?.find((t) => t.key === key)?.value ?? "";
      if (!definition || !tag(RELEASE_TAGS.commit)) continue; // not a release (e.g. CDK's first revision)
      records.push({
        revision: definition.revision ?? 0,
        taskDefinition: arn,
        image:
          definition.containerDefinitions?.find((c) => c.name === names.container)?.image ?? "",
        commit: tag(RELEASE_TAGS.commit),
        tag: tag(RELEASE_TAGS.tag),
        version: tag(RELEASE_TAGS.version),
        registeredAt: definition.registeredAt?.toISOString() ?? "",
        current: arn === service.taskDefinition,
      });
    }
    return records;
  }

  async rollbackTarget(app: ResolvedApp, to: string | undefined): Promise<ReleaseInput> {
    const records = await this.releases(app);
    const current = records.find((record) => record.current);
    const older = records.filter((record) => !record.current);
    const match = to
      ? older.find(
          (r) =>
            r.commit.startsWith(to) ||
            r.tag.startsWith(to) ||
            String(r.revision) === to.replace(/^(rev|revision)?/, ""),
        )
      : older.find(
          (r) => r.image !== current?.image && (!current || r.revision < current.revision),
        );
    if (!match) {
      const known = older.map((r) => `${r.tag} (revision ${r.revision})`).join(", ") || "none";
      throw new DeployError(
        to
          ? `No earlier release of ${app.name} matches "${to}".`
          : `There is no earlier release of ${app.name} to roll back to.`,
        {
          hint: `Releases: ${known}. \`deploy-kit releases ${app.name} --env ${this.#deps.environment.name}\` lists them.`,
        },
      );
    }
    return { app, image: match.image, commit: match.commit, tag: match.tag };
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

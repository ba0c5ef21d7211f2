import {
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  ListTaskDefinitionsCommand,
  type Service,
  TagResourceCommand,
} from "@aws-sdk/client-ecs";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import type { AppAwsNames } from "@repo/platform-config/names";
import type { AwsClients } from "./clients.js";
import { tagRelease } from "./ecr.js";
import { withThrottlingRetry } from "./retry.js";
import { RELEASE_TAGS } from "./task-definition.js";

/**
 * How a release ended, as its task definition's `deploy-kit:outcome` tag says. A revision is
 * registered before its outcome is known, so the tag is added afterwards: `succeeded` once its
 * deployment COMPLETED (by the release that waited for it, or by the next command that finds it
 * running), `failed` when the release saw it fail. Without the tag the outcome is not known
 * (`--no-wait`, a timeout, an interruption, or a release made by an older deploy-kit): such a
 * revision is shown as unconfirmed and is never a rollback target.
 */
export type ReleaseOutcome = "succeeded" | "failed" | "unconfirmed";

/** One release: a task definition revision deploy-kit registered. */
export interface ReleaseRecord {
  revision: number;
  taskDefinition: string;
  image: string;
  commit: string;
  tag: string;
  version: string;
  registeredAt: string;
  outcome: ReleaseOutcome;
  /** The newest succeeded release whose image is the one that runs now. */
  current: boolean;
}

/** What runs: the service's settled task definition and the app container's image in it. */
export interface Running {
  /** The revision whose tasks serve (the primary deployment once COMPLETED, else the one before). */
  taskDefinition: string | undefined;
  image: string | undefined;
  /** False while a deployment rolls out: then nothing new can be recorded yet. */
  settled: boolean;
}

type Described = DescribeTaskDefinitionCommandOutput;

/** The tag value of `key` on a described task definition, or "". */
export function tagOf(described: Described | undefined, key: string): string {
  return described?.tags?.find((t) => t.key === key)?.value ?? "";
}

export function imageOf(described: Described | undefined, container: string): string | undefined {
  return described?.taskDefinition?.containerDefinitions?.find((c) => c.name === container)?.image;
}

export function outcomeOf(described: Described | undefined): ReleaseOutcome {
  const value = tagOf(described, RELEASE_TAGS.outcome);
  return value === "succeeded" || value === "failed" ? value : "unconfirmed";
}

/**
 * The revision that serves: while a deployment is in progress the previous (ACTIVE) one still
 * does, and after a circuit-breaker rollback ECS makes the old revision PRIMARY again.
 */
export function servingTaskDefinition(service: Service): {
  taskDefinition: string | undefined;
  settled: boolean;
} {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === "PRIMARY");
  if (!primary) return { taskDefinition: service.taskDefinition, settled: true };
  if (primary.rolloutState === "COMPLETED") {
    return { taskDefinition: primary.taskDefinition, settled: true };
  }
  const active = deployments.find((d) => d.status === "ACTIVE");
  return { taskDefinition: active?.taskDefinition ?? primary.taskDefinition, settled: false };
}

/** An image of the app's own repository, pinned by digest: what a release records. */
export function isReleasedImage(image: string | undefined, repositoryUri: string): boolean {
  return image?.startsWith(`${repositoryUri}@sha256:`) ?? false;
}

export async function describeTaskDefinition(clients: AwsClients, arn: string): Promise<Described> {
  return withThrottlingRetry(() =>
    clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] })),
  );
}

/** Marks a release's outcome on its task definition (ecs:TagResource on the revision). */
export async function markOutcome(
  clients: AwsClients,
  taskDefinition: string,
  outcome: "succeeded" | "failed",
): Promise<void> {
  await withThrottlingRetry(() =>
    clients.ecs.send(
      new TagResourceCommand({
        resourceArn: taskDefinition,
        tags: [{ key: RELEASE_TAGS.outcome, value: outcome }],
      }),
    ),
  );
}

/** The newest `limit` revisions of the app's family that deploy-kit registered, newest first. */
export async function listReleases(
  clients: AwsClients,
  names: AppAwsNames,
  runningImage: string | undefined,
  limit = 20,
): Promise<ReleaseRecord[]> {
  const listed = await withThrottlingRetry(() =>
    clients.ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: names.taskFamily,
        sort: "DESC",
        maxResults: limit,
      }),
    ),
  );
  const records: ReleaseRecord[] = [];
  for (const arn of listed.taskDefinitionArns ?? []) {
    const described = await describeTaskDefinition(clients, arn);
    const definition = described.taskDefinition;
    // A revision without the commit tag is not a release (CloudFormation's, for example).
    if (!definition || !tagOf(described, RELEASE_TAGS.commit)) continue;
    records.push({
      revision: definition.revision ?? 0,
      taskDefinition: arn,
      image: imageOf(described, names.container) ?? "",
      commit: tagOf(described, RELEASE_TAGS.commit),
      tag: tagOf(described, RELEASE_TAGS.tag),
      version: tagOf(described, RELEASE_TAGS.version),
      registeredAt: definition.registeredAt?.toISOString() ?? "",
      outcome: outcomeOf(described),
      current: false,
    });
  }
  // What runs is compared by image, not by revision: the `cdk deploy` after a release registers a
  // revision of its own with the same image.
  const current = records.find((r) => r.outcome === "succeeded" && r.image === runningImage);
  if (current) current.current = true;
  return records;
}

/** "3", "rev3", "revision3", "revision 3", "family:3" or a task definition ARN, to 3. */
export function revisionOf(ref: string): number | undefined {
  const match = /^(?:(?:rev(?:ision)?)\s*|.*:)?(\d+)$/i.exec(ref.trim());
  return match ? Number(match[1]) : undefined;
}

export type RollbackChoice =
  | { kind: "found"; record: ReleaseRecord }
  | { kind: "none"; reason: string };

/**
 * The release to roll back to. With `to`: the release it names (commit or tag prefix, or a
 * revision in any form `releases` prints), which must have succeeded and differ from what runs.
 * Without: the newest succeeded release older than the current one with another image.
 */
export function chooseRollback(
  records: readonly ReleaseRecord[],
  runningImage: string | undefined,
  to: string | undefined,
): RollbackChoice {
  if (to !== undefined) {
    const revision = revisionOf(to);
    const matches = records.filter(
      (r) =>
        r.taskDefinition === to ||
        (revision !== undefined && r.revision === revision) ||
        (/^[0-9a-f]{4,40}$/i.test(to) && r.commit.startsWith(to.toLowerCase())) ||
        r.tag === to ||
        (to.length >= 4 && r.tag.startsWith(to)),
    );
    const record = matches.find((r) => r.outcome === "succeeded") ?? matches[0];
    if (!record) return { kind: "none", reason: `No release matches "${to}".` };
    if (record.outcome !== "succeeded") {
      return {
        kind: "none",
        reason: `Release ${record.tag} (revision ${record.revision}) ${record.outcome === "failed" ? "failed" : "never confirmed that it succeeded"}: rollback only goes to a release that succeeded.`,
      };
    }
    if (record.image === runningImage) {
      return {
        kind: "none",
        reason: `Release ${record.tag} (revision ${record.revision}) is the image that runs now: there is nothing to roll back.`,
      };
    }
    return { kind: "found", record };
  }
  const currentIndex = records.findIndex((r) => r.current);
  const older = currentIndex < 0 ? records : records.slice(currentIndex + 1);
  const record = older.find((r) => r.outcome === "succeeded" && r.image !== runningImage);
  return record
    ? { kind: "found", record }
    : { kind: "none", reason: "There is no earlier release that succeeded to roll back to." };
}

export interface ReconcileResult {
  /** What runs (undefined while nothing settled or before the first release). */
  image: string | undefined;
  /** The parameter's value before, when it was changed. */
  recordedOver?: string;
  /** A release whose success was confirmed now. */
  confirmed?: string;
  /** A deployment still rolls out: nothing was recorded. */
  inProgress: boolean;
  /** The ECR tag added to the image now confirmed, when one was. */
  releaseTag?: string;
}

export interface ReconcileInput {
  clients: AwsClients;
  names: AppAwsNames;
  repositoryUri: string;
  service: Service;
  now: Date;
  warn: (text: string) => void;
}

/**
 * Makes the records agree with what runs, whatever way the last release ended (waited, not
 * waited, timed out, interrupted, rolled back by ECS): once the service has settled, the image
 * its serving revision runs is written to the app's SSM parameter (what the next `cdk deploy`
 * reads), and a release revision found running is marked succeeded (and its image tagged as
 * released in ECR). Nothing changes while a deployment rolls out, nor before the first release
 * (the placeholder image is not the app's).
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const { clients, names, service } = input;
  const serving = servingTaskDefinition(service);
  if (!serving.settled || !serving.taskDefinition) {
    return { image: undefined, inProgress: !serving.settled };
  }
  const described = await describeTaskDefinition(clients, serving.taskDefinition);
  const image = imageOf(described, names.container);
  if (!image || !isReleasedImage(image, input.repositoryUri)) {
    return { image: undefined, inProgress: false };
  }
  const result: ReconcileResult = { image, inProgress: false };
  const recorded = await readParameter(clients, names.imageParameter);
  if (recorded !== image) {
    await withThrottlingRetry(() =>
      clients.ssm.send(
        new PutParameterCommand({
          Name: names.imageParameter,
          Value: image,
          Type: "String",
          Overwrite: true,
        }),
      ),
    );
    result.recordedOver = recorded ?? "(none)";
  }
  if (tagOf(described, RELEASE_TAGS.commit) && outcomeOf(described) !== "succeeded") {
    await markOutcome(clients, serving.taskDefinition, "succeeded");
    result.confirmed = serving.taskDefinition;
    const digest = image.slice(image.indexOf("@") + 1);
    const tag = await tagRelease(clients, names.repository, digest, input.now).catch(
      (err: Error) => {
        input.warn(`could not add the release tag in ECR (${err.message})`);
        return undefined;
      },
    );
    if (tag) result.releaseTag = tag;
  }
  return result;
}

async function readParameter(clients: AwsClients, name: string): Promise<string | undefined> {
  try {
    const got = await withThrottlingRetry(() =>
      clients.ssm.send(new GetParameterCommand({ Name: name })),
    );
    return got.Parameter?.Value;
  } catch (err) {
    if ((err as Error)?.name === "ParameterNotFound") return undefined;
    throw err;
  }
}

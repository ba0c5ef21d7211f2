/**
 * The release / rollback / `cdk deploy` interplay against mocked AWS with the shapes AWS returns:
 * what counts as a release, what runs, what is recorded, and when a release waits.
 */
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { PutImageCommand } from "@aws-sdk/client-ecr";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type Tag,
  TagResourceCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeployError, explainAwsError } from "../../errors.js";
import { chooseRollback, type ReleaseRecord, revisionOf } from "../history.js";
import { cloudformation, ecr, ecs, resetAwsMocks, ssm } from "./fixtures/aws-mocks.js";
import {
  answerDescribeServices,
  clock,
  DIGEST,
  done,
  releaseInput as input,
  mockHappyPath,
  NEW,
  OLD,
  releaseOptions as options,
  rolling,
  service,
  stack,
  steady,
  releaseTarget as target,
} from "./fixtures/release.js";
import {
  apiTaskDefinition,
  apiApp as app,
  REPO_URI,
  RUNNING_IMAGE,
  apiTaskDefinitionArn as td,
} from "./fixtures/task-definition.js";

beforeEach(() => {
  clock.at = Date.parse("2026-11-25T10:00:00Z");
  resetAwsMocks();
});
afterEach(resetAwsMocks);

const image = (digit: string) => `${REPO_URI}@sha256:${digit.repeat(64)}`;

interface Revision {
  revision: number;
  /** The digit the image digest and commit are made of. */
  digit: string;
  /** undefined: CloudFormation's revision (no deploy-kit tags). */
  outcome?: "succeeded" | "failed" | "none";
}

/** The family's revisions, newest first, answered by ListTaskDefinitions / DescribeTaskDefinition. */
function mockFamily(revisions: Revision[]): void {
  ecs
    .on(ListTaskDefinitionsCommand)
    .resolves({ taskDefinitionArns: revisions.map((r) => td(r.revision)) });
  for (const r of revisions) {
    const tags: Tag[] = [
      { key: "project", value: "platform" },
      { key: "environment", value: "prod" },
    ];
    if (r.outcome !== undefined) {
      tags.push(
        { key: "deploy-kit:commit", value: r.digit.repeat(40) },
        { key: "deploy-kit:tag", value: r.digit.repeat(12) },
        { key: "deploy-kit:version", value: "0.1.0" },
      );
      if (r.outcome !== "none") tags.push({ key: "deploy-kit:outcome", value: r.outcome });
    }
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: td(r.revision), include: ["TAGS"] })
      .resolves({
        taskDefinition: {
          ...apiTaskDefinition(r.revision, image(r.digit)),
          registeredAt: new Date(Date.parse("2026-11-01T10:00:00Z") + r.revision * 86_400_000),
        },
        tags,
      });
  }
}

/** The service settled on revision `n`. */
const runs = (n: number) =>
  service([{ id: OLD, status: "PRIMARY", taskDefinition: td(n), rolloutState: "COMPLETED" }]);

function recorded(value: string) {
  ssm.on(GetParameterCommand).resolves({
    Parameter: { Name: "/platform/prod/api/image", Type: "String", Value: value, Version: 5 },
  });
}

describe("what counts as a release, and where rollback goes", () => {
  it.each<{
    name: string;
    family: Revision[];
    running: number;
    to?: string;
    expected: string | RegExp;
  }>([
    {
      // Seen: releases A ok, B failed (circuit breaker), C ok; rollback went to B.
      name: "a failed release between two good ones: back to the good one before",
      family: [
        { revision: 9, digit: "c", outcome: "succeeded" },
        { revision: 8, digit: "b", outcome: "failed" },
        { revision: 7, digit: "a", outcome: "succeeded" },
        { revision: 6, digit: "0" },
      ],
      running: 9,
      expected: "a",
    },
    {
      // Seen: after the cdk deploy that follows a release, rollback "rolled back" to the image
      // already running (the ARNs differed, the images did not).
      name: "a cdk deploy revision with the same image: back to the release before it",
      family: [
        { revision: 10, digit: "c" },
        { revision: 9, digit: "c", outcome: "succeeded" },
        { revision: 8, digit: "b", outcome: "succeeded" },
      ],
      running: 10,
      expected: "b",
    },
    {
      name: "a release never confirmed (--no-wait, then superseded) is skipped",
      family: [
        { revision: 9, digit: "c", outcome: "succeeded" },
        { revision: 8, digit: "b", outcome: "none" },
        { revision: 7, digit: "a", outcome: "succeeded" },
      ],
      running: 9,
      expected: "a",
    },
    {
      name: "the same image released twice is not a rollback target",
      family: [
        { revision: 9, digit: "c", outcome: "succeeded" },
        { revision: 8, digit: "c", outcome: "succeeded" },
        { revision: 7, digit: "a", outcome: "succeeded" },
      ],
      running: 9,
      expected: "a",
    },
    {
      name: "--to names a failed release: refused",
      family: [
        { revision: 9, digit: "c", outcome: "succeeded" },
        { revision: 8, digit: "b", outcome: "failed" },
      ],
      running: 9,
      to: "revision 8",
      expected:
        /Release bbbbbbbbbbbb \(revision 8\) failed: rollback only goes to a release that succeeded/,
    },
    {
      name: "--to names what runs: nothing to do",
      family: [
        { revision: 10, digit: "c" },
        { revision: 9, digit: "c", outcome: "succeeded" },
      ],
      running: 10,
      to: "cccc",
      expected: /is the image that runs now: there is nothing to roll back/,
    },
    {
      name: "nothing succeeded before what runs",
      family: [
        { revision: 9, digit: "c", outcome: "succeeded" },
        { revision: 8, digit: "b", outcome: "failed" },
      ],
      running: 9,
      expected: /There is no earlier release that succeeded to roll back to/,
    },
  ])("$name", async ({ family, running, to, expected }) => {
    mockHappyPath();
    mockFamily(family);
    recorded(image(family.find((r) => r.revision === running)?.digit ?? "?"));
    answerDescribeServices(runs(running));
    const outcome = await target()
      .target.rollbackTarget(app, to)
      .catch((err: Error) => err);
    if (typeof expected === "string") {
      expect(outcome).toMatchObject({ image: image(expected), commit: expected.repeat(40) });
    } else {
      expect(outcome).toBeInstanceOf(DeployError);
      expect((outcome as Error).message).toMatch(expected);
    }
  });

  it("`releases` shows each outcome and marks what runs by its image", async () => {
    mockHappyPath();
    mockFamily([
      { revision: 10, digit: "c" },
      { revision: 9, digit: "c", outcome: "succeeded" },
      { revision: 8, digit: "b", outcome: "failed" },
      { revision: 7, digit: "a", outcome: "none" },
    ]);
    recorded(image("c"));
    answerDescribeServices(runs(10));
    const releases = await target().target.releases(app);
    expect(releases.map((r) => [r.revision, r.outcome, r.current])).toEqual([
      [9, "succeeded", true],
      [8, "failed", false],
      [7, "unconfirmed", false],
    ]);
  });

  it.each([
    ["7", 7],
    ["rev7", 7],
    ["revision7", 7],
    ["revision 7", 7],
    ["Revision 7", 7],
    ["platform-prod-api:7", 7],
    [td(7), 7],
    ["seven", undefined],
  ])("--to %s is revision %s", (ref, revision) => {
    expect(revisionOf(ref)).toBe(revision);
  });

  it("--to takes the revision as `releases` prints it", () => {
    const record = (revision: number, digit: string): ReleaseRecord => ({
      revision,
      taskDefinition: td(revision),
      image: image(digit),
      commit: digit.repeat(40),
      tag: digit.repeat(12),
      version: "0.1.0",
      registeredAt: "",
      outcome: "succeeded",
      current: revision === 9,
    });
    const records = [record(9, "c"), record(3, "a")];
    for (const to of ["revision3", "revision 3", "rev3", "3", "aaaa", "aaaaaaaaaaaa"]) {
      expect(chooseRollback(records, image("c"), to)).toMatchObject({
        kind: "found",
        record: { revision: 3 },
      });
    }
  });
});

describe("what is recorded is what runs, however a release ended", () => {
  it("--no-wait: the next command (CI's reconcile before cdk deploy) waits for the deployment, then records its image", async () => {
    mockHappyPath();
    answerDescribeServices(steady);
    const t = target().target;
    await t.release(input, { ...options(), wait: false });
    // A cdk deploy now would read the parameter: nothing may have been written for 8 yet...
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);

    // ...so the infra workflow runs `deploy-kit reconcile` first, which waits for it.
    const eight = { taskDefinition: apiTaskDefinition(8, `${REPO_URI}@${DIGEST}`) };
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: td(8), include: ["TAGS"] }).resolves({
      ...eight,
      tags: [
        { key: "deploy-kit:commit", value: "2".repeat(40) },
        { key: "deploy-kit:tag", value: "222222222222" },
      ],
    });
    answerDescribeServices(rolling(1, 1), rolling(2, 0), done);
    const [report] = await t.reconcileApps([app], {
      wait: true,
      timeoutMs: 900_000,
      signal: new AbortController().signal,
    });

    expect(report).toMatchObject({ app: "api", state: "recorded", image: `${REPO_URI}@${DIGEST}` });
    expect(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input.Value)).toEqual([
      `${REPO_URI}@${DIGEST}`,
    ]);
    expect(ecs.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: td(8), tags: [{ key: "deploy-kit:outcome", value: "succeeded" }] },
    ]);
    expect(ecr.commandCalls(PutImageCommand)[0]?.args[0].input.imageTag).toMatch(/^release-/);
  });

  it("--no-wait, then ECS rolls the release back: the old image stays recorded and the release is not confirmed", async () => {
    mockHappyPath();
    answerDescribeServices(steady);
    const t = target().target;
    await t.release(input, { ...options(), wait: false });
    // Circuit breaker: revision 7 is primary again once the rollback completed.
    answerDescribeServices(steady);
    const [report] = await t.reconcileApps([app], {
      wait: true,
      timeoutMs: 900_000,
      signal: new AbortController().signal,
    });
    expect(report).toMatchObject({ state: "up to date", image: RUNNING_IMAGE });
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(ecs.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it("a timed-out release that ECS then finished is recorded by the next command (status)", async () => {
    mockHappyPath();
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: td(8), include: ["TAGS"] }).resolves({
      taskDefinition: apiTaskDefinition(8, `${REPO_URI}@${DIGEST}`),
      tags: [{ key: "deploy-kit:commit", value: "2".repeat(40) }],
    });
    answerDescribeServices(steady, rolling(1, 1));
    const t = target().target;
    await expect(t.release(input, options(60_000))).rejects.toThrow(/did not complete within 60 s/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);

    answerDescribeServices(done);
    const { target: next, reporter } = target();
    const [status] = await next.status([app]);
    expect(status?.state).toBe("running");
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input.Value).toBe(
      `${REPO_URI}@${DIGEST}`,
    );
    expect(reporter.lines.join("\n")).toContain(
      `api: recorded the running image ${REPO_URI}@${DIGEST} in /platform/prod/api/image (it held ${RUNNING_IMAGE})`,
    );
  });

  it("records nothing while a deployment rolls out, nor before the first release", async () => {
    mockHappyPath();
    answerDescribeServices(rolling(1, 1));
    const t = target().target;
    const [busy] = await t.reconcileApps([app], {
      wait: false,
      timeoutMs: 1,
      signal: new AbortController().signal,
    });
    expect(busy?.state).toBe("in progress");

    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: apiTaskDefinition(1, "public.ecr.aws/docker/library/busybox:stable"),
      tags: [{ key: "project", value: "platform" }],
    });
    answerDescribeServices({ ...runs(1), desiredCount: 0, runningCount: 0 });
    const [fresh] = await t.reconcileApps([app], {
      wait: false,
      timeoutMs: 1,
      signal: new AbortController().signal,
    });
    expect(fresh?.state).toBe("not released");
    const [status] = await t.status([app]);
    expect(status?.state).toBe("not released");
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it("a scaled-out service keeps its count: a release never sends desiredCount once released", async () => {
    mockHappyPath();
    answerDescribeServices({ ...steady, desiredCount: 6, runningCount: 6 }, done);
    await target().target.release(input, options());
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).not.toHaveProperty(
      "desiredCount",
    );
  });
});

describe("a release and a cdk deploy never overlap", () => {
  it("waits while the app's stack is UPDATE_IN_PROGRESS, saying why, then releases", async () => {
    mockHappyPath();
    cloudformation
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack("UPDATE_IN_PROGRESS")] })
      .resolvesOnce({ Stacks: [stack("UPDATE_IN_PROGRESS")] })
      .resolvesOnce({ Stacks: [stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")] })
      .resolves({ Stacks: [stack("UPDATE_COMPLETE")] });
    answerDescribeServices(steady, done);
    const { target: t, reporter } = target();
    const start = clock.at;
    let registeredAt = 0;
    ecs.on(RegisterTaskDefinitionCommand).callsFake((request) => {
      registeredAt = clock.at;
      return { taskDefinition: { ...request, taskDefinitionArn: td(8), revision: 8 } };
    });
    await t.release(input, options());
    expect(reporter.lines).toContain(
      "→ wait for stack platform-prod-app-api: it is UPDATE_IN_PROGRESS (a `cdk deploy` is changing api's service); the release starts when it ends",
    );
    expect(cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(4);
    // Three polls of 5 to 15 s with jitter: the release started after the stack was done.
    expect(registeredAt - start).toBeGreaterThanOrEqual(3 * 4_000);
    expect(registeredAt - start).toBeLessThanOrEqual(60_000);
  });

  it("a stack still in progress at --timeout: fails and changes nothing", async () => {
    mockHappyPath();
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [stack("UPDATE_IN_PROGRESS")] });
    answerDescribeServices(steady);
    const error = await target()
      .target.release(input, options(120_000))
      .catch((err) => err);
    expect(error).toBeInstanceOf(DeployError);
    expect(error.message).toMatch(
      /^Stack platform-prod-app-api was still UPDATE_IN_PROGRESS after 12\d s; the release did not start and nothing was changed\.$/,
    );
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it("a stack that does not exist yet is no reason to wait", async () => {
    mockHappyPath();
    cloudformation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error("Stack with id platform-prod-app-api does not exist"), {
        name: "ValidationError",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    answerDescribeServices(steady, done);
    await expect(target().target.release(input, options())).resolves.toMatchObject({
      deployment: NEW,
    });
  });
});

describe("errors that name what is missing and how to make it", () => {
  it("a missing cluster names the platform stack to deploy (status, releases, release)", async () => {
    mockHappyPath();
    ecs.on(DescribeServicesCommand).rejects(
      Object.assign(new Error("Cluster not found."), {
        name: "ClusterNotFoundException",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const t = target().target;
    for (const call of [() => t.status([app]), () => t.releases(app), () => t.diagnose(app)]) {
      const error = await call().catch((err) => err);
      expect(error).toBeInstanceOf(DeployError);
      expect(error.message).toBe(
        `The ECS cluster platform-prod does not exist in eu-west-1 (account 222222222222): environment "prod" has no platform yet.`,
      );
      expect(error.hint).toMatch(/npx cdk deploy platform-prod-platform/);
    }
  });

  it("reconcile before the platform's first cdk deploy: no cluster, nothing runs, nothing fails", async () => {
    mockHappyPath();
    ecs.on(DescribeServicesCommand).rejects(
      Object.assign(new Error("Cluster not found."), {
        name: "ClusterNotFoundException",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const reports = await target().target.reconcileApps([app], {
      wait: true,
      timeoutMs: 60_000,
      signal: new AbortController().signal,
    });
    expect(reports).toEqual([{ app: "api", state: "not deployed" }]);
  });

  it.each([
    [
      "refused",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), { code: "ECONNREFUSED" }),
      { AWS_ENDPOINT_URL: "http://127.0.0.1:4566" },
      /^Cannot reach the endpoint set by AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:4566: connect ECONNREFUSED/,
      /Start the AWS-compatible service at that address, or unset AWS_ENDPOINT_URL/,
    ],
    [
      "404",
      Object.assign(new Error("UnknownError"), {
        name: "UnknownError",
        $metadata: { httpStatusCode: 404 },
      }),
      { AWS_ENDPOINT_URL_ECS: "http://127.0.0.1:8080" },
      /^The endpoint set by AWS_ENDPOINT_URL_ECS=http:\/\/127\.0\.0\.1:8080 answered 404 Not Found: it does not serve this AWS API/,
      /unset AWS_ENDPOINT_URL_ECS/,
    ],
    [
      "no endpoint set",
      Object.assign(new Error("getaddrinfo ENOTFOUND ecs.eu-west-1.amazonaws.com"), {
        code: "ENOTFOUND",
      }),
      {},
      /^Cannot reach AWS's public endpoint for the region/,
      /HTTPS_PROXY/,
    ],
  ])("an endpoint %s is explained", (_, error, env, message, hint) => {
    const explained = explainAwsError(error, env);
    expect(explained?.message).toMatch(message);
    expect(explained?.hint).toMatch(hint);
  });

  it("leaves AWS's own errors alone", () => {
    const denied = Object.assign(new Error("User is not authorized"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(explainAwsError(denied, {})).toBeUndefined();
  });

  it("a failed release ends in one period and gives its first hint once", async () => {
    mockHappyPath();
    answerDescribeServices(
      steady,
      service([
        {
          id: NEW,
          status: "PRIMARY",
          taskDefinition: td(8),
          rolloutState: "FAILED",
          rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
        },
      ]),
    );
    const error = await target()
      .target.release(input, options())
      .catch((err) => err);
    expect(error.message.endsWith("..")).toBe(false);
    expect(error.details).not.toContain("What to do");
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DescribeImagesCommand, PutImageCommand } from "@aws-sdk/client-ecr";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeployError, InterruptedError } from "../../errors.js";
import { ecr, ecs, elb, resetAwsMocks, ssm, sts } from "./fixtures/aws-mocks.js";
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
  SERVICE_ARN,
  service,
  steady,
  releaseTarget as target,
} from "./fixtures/release.js";
import {
  ACCOUNT,
  apiTaskDefinition,
  apiApp as app,
  REPO_URI,
  apiTaskDefinitionArn as td,
} from "./fixtures/task-definition.js";

beforeEach(() => {
  clock.at = Date.parse("2026-11-25T10:00:00Z");
  resetAwsMocks();
});
afterEach(resetAwsMocks);

describe("AwsTarget.release", () => {
  it("registers a revision pinned by digest, updates the service, follows its deployment to healthy targets, records the image", async () => {
    mockHappyPath();
    answerDescribeServices(
      steady,
      rolling(1, 1, [["e1", "(service api) has started 2 tasks: (task 1) (task 2)."]]),
      done,
    );
    const { target: t, reporter } = target();

    const result = await t.release(input, options());

    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.containerDefinitions?.[0]?.image).toBe(`${REPO_URI}@${DIGEST}`);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: "platform-prod",
      service: "api",
      taskDefinition: td(8),
    });
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: "/platform/prod/api/image",
      Value: `${REPO_URI}@${DIGEST}`,
      Type: "String",
      Overwrite: true,
    });
    expect(ecr.commandCalls(PutImageCommand)[0]?.args[0].input).toMatchObject({
      repositoryName: "platform/prod/api",
      imageTag: expect.stringMatching(/^release-20261125T1000\d\dZ$/),
    });
    expect(result).toMatchObject({
      app: "api",
      release: td(8),
      previous: td(7),
      deployment: NEW,
      image: `${REPO_URI}@${DIGEST}`,
    });
    expect(reporter.lines).toContain(
      "  event 10:00:05 (service api) has started 2 tasks: (task 1) (task 2).",
    );
    expect(reporter.lines).toContain("  in_progress: desired 2, running 1, pending 1, failed 0");
    expect(reporter.lines).toContain(
      "  completed: desired 2, running 2, pending 0, failed 0, healthy in the target group 2",
    );
    // With no other deployment to wait for, the service is described once before the update.
    const order = ecs.calls().map((call) => call.args[0].constructor.name);
    expect(
      order
        .slice(0, order.indexOf("UpdateServiceCommand"))
        .filter((name) => name === "DescribeServicesCommand"),
    ).toHaveLength(1);
  });

  it("in GitHub Actions, writes the job summary on success and an ::error annotation on failure", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gha-summary-"));
    const summary = path.join(dir, "summary.md");
    writeFileSync(summary, "");
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      mockHappyPath();
      answerDescribeServices(steady, done);
      const github = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary };
      await target(github).target.release(input, options());
      const markdown = readFileSync(summary, "utf8");
      expect(markdown).toContain("### api released to prod");
      for (const row of [
        "| App | api |",
        "| Environment | prod |",
        `| Commit | ${"2".repeat(40)} |`,
        `| Image | ${REPO_URI}@${DIGEST} |`,
        `| Task definition | ${td(8)} |`,
        "| URL | https://api.example.com |",
      ]) {
        expect(markdown).toContain(row);
      }

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
      await target(github)
        .target.release(input, options())
        .catch(() => undefined);
      expect(printed.join("")).toMatch(
        /^::error title=api%3A release failed::The release of api 222222222222 to prod failed/m,
      );
      expect(readFileSync(summary, "utf8")).toContain("### api: release to prod failed");
    } finally {
      write.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not call it done while the target group has not seen the new tasks healthy", async () => {
    mockHappyPath();
    elb
      .on(DescribeTargetHealthCommand)
      .resolvesOnce({
        TargetHealthDescriptions: [
          {
            Target: { Id: "10.0.1.23", Port: 8080 },
            TargetHealth: { State: "initial", Reason: "Elb.InitialHealthChecking" },
          },
        ],
      })
      .resolves({
        TargetHealthDescriptions: [
          { Target: { Id: "10.0.1.23", Port: 8080 }, TargetHealth: { State: "healthy" } },
          { Target: { Id: "10.0.2.41", Port: 8080 }, TargetHealth: { State: "healthy" } },
        ],
      });
    answerDescribeServices(steady, done);
    await target().target.release(input, options());
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(2);
  });

  it("gives a first release its desired count (the service runs no task until then)", async () => {
    mockHappyPath();
    const unreleased = { ...steady, desiredCount: 0, runningCount: 0 };
    answerDescribeServices(unreleased, done);
    await target().target.release(input, options());
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input.desiredCount).toBe(2);
  });

  it("fails when the circuit breaker rolls the deployment back, saying so, and never writes the image", async () => {
    mockHappyPath();
    const failed = service(
      [
        {
          id: "ecs-svc/3333333333333333333",
          status: "PRIMARY",
          taskDefinition: td(7),
          rolloutState: "IN_PROGRESS",
        },
        {
          id: NEW,
          status: "ACTIVE",
          taskDefinition: td(8),
          rolloutState: "FAILED",
          rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
          running: 0,
          failed: 3,
        },
      ],
      [["e9", `(service api) (deployment ${NEW}) deployment failed: tasks failed to start.`]],
    );
    answerDescribeServices(steady, rolling(0, 2), failed);
    const error = await target()
      .target.release(input, options())
      .catch((err) => err);
    expect(error).toBeInstanceOf(DeployError);
    expect(error.message).toBe(
      "The release of api 222222222222 to prod failed: ECS deployment circuit breaker: tasks failed to start; ECS put the previous revision back.",
    );
    expect(error.exitCode).toBe(1);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    // The revision is marked failed, so that rollback never goes to it.
    expect(ecs.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: td(8), tags: [{ key: "deploy-kit:outcome", value: "failed" }] },
    ]);
  });

  it("fails after --timeout, leaving the deployment to ECS", async () => {
    mockHappyPath();
    answerDescribeServices(steady, rolling(1, 1));
    const error = await target()
      .target.release(input, options(120_000))
      .catch((err) => err);
    expect(error).toBeInstanceOf(DeployError);
    expect(error.message).toMatch(
      /did not complete within 120 s; ECS goes on with it as it is \(deploy-kit changed nothing more, and the next deploy-kit command records what runs once it ends\)/,
    );
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    // About 4 to 8 DescribeServices a minute while waiting: far from throttling.
    const polls = ecs.commandCalls(DescribeServicesCommand).length - 1;
    expect(polls / 2).toBeLessThanOrEqual(20);
  });

  it("waits for a deployment already in progress instead of stacking a second one", async () => {
    mockHappyPath();
    const other = service([
      {
        id: "ecs-svc/9999999999999999999",
        status: "PRIMARY",
        taskDefinition: td(7),
        rolloutState: "IN_PROGRESS",
        running: 1,
        pending: 1,
      },
      { id: OLD, status: "ACTIVE", taskDefinition: td(6), rolloutState: "COMPLETED" },
    ]);
    const otherDone = service([
      {
        id: "ecs-svc/9999999999999999999",
        status: "PRIMARY",
        taskDefinition: td(7),
        rolloutState: "COMPLETED",
      },
    ]);
    // Described for the release, polled while waiting, described again once it is done.
    answerDescribeServices(other, other, otherDone, otherDone, done);
    const { target: t, reporter } = target();
    await t.release(input, options());
    expect(
      reporter.lines.some((line) =>
        /wait for deployment ecs-svc\/9999999999999999999 of api, still in progress/.test(line),
      ),
    ).toBe(true);
    const order = ecs.calls().map((call) => call.args[0].constructor.name);
    expect(order.indexOf("UpdateServiceCommand")).toBeGreaterThan(
      order.lastIndexOf("DescribeServicesCommand") - 3,
    );
  });

  it("retries throttled calls", async () => {
    mockHappyPath();
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400 },
    });
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [steady] })
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ services: [done] });
    const result = await target().target.release(input, options());
    expect(result.deployment).toBe(NEW);
  });

  it("--dry-run prints the task definition diff and changes nothing", async () => {
    mockHappyPath();
    ecs.on(DescribeServicesCommand).resolves({ services: [steady] });
    const { target: t, reporter } = target();
    const result = await t.release(input, { ...options(), dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(reporter.lines).toContain(
      `    + containerDefinitions[api].image: "${REPO_URI}@${DIGEST}"`,
    );
  });

  it("--no-wait returns once the service is updated, without a time to traffic", async () => {
    mockHappyPath();
    ecs.on(DescribeServicesCommand).resolves({ services: [steady] });
    const { target: t, reporter } = target();
    const result = await t.release(input, { ...options(), wait: false });
    expect(result.deployment).toBe(NEW);
    expect(result.waited).toBe(false);
    expect(result.secondsToTraffic).toBeUndefined();
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(reporter.lines.join("\n")).toMatch(
      /not waiting: .* the next deploy-kit command for api \(or `deploy-kit reconcile api --env prod`\) records its image/,
    );
  });

  it("Ctrl-C while waiting leaves the deployment to ECS and says so", async () => {
    mockHappyPath();
    const controller = new AbortController();
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [steady] })
      .callsFake(() => {
        controller.abort();
        return { services: [rolling(1, 1)] };
      });
    const error = await target()
      .target.release(input, { ...options(), signal: controller.signal })
      .catch((err) => err);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.message).toMatch(/the deployment goes on in AWS as ECS runs it/);
  });

  it("explains an image that was never pushed", async () => {
    mockHappyPath();
    ecr
      .on(DescribeImagesCommand)
      .rejects(
        Object.assign(
          new Error("The image with imageId {imageTag:'222222222222'} does not exist"),
          { name: "ImageNotFoundException" },
        ),
      );
    await expect(target().target.release(input, options())).rejects.toThrow(
      /There is no image platform\/prod\/api:222222222222 in ECR/,
    );
  });

  it("explains a service that does not exist yet", async () => {
    mockHappyPath();
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [], failures: [{ arn: SERVICE_ARN, reason: "MISSING" }] });
    const error = await target()
      .target.release(input, options())
      .catch((err) => err);
    expect(error.message).toBe("The ECS service api does not exist in cluster platform-prod.");
    expect(error.hint).toMatch(/npx cdk deploy platform-prod-app-api/);
  });
});

describe("credentials", () => {
  it("missing: exit 2 with how to get them", async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );
    const error = await target()
      .target.checkCredentials()
      .catch((err) => err);
    expect(error).toBeInstanceOf(DeployError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/No usable AWS credentials for environment "prod"/);
    expect(error.hint).toMatch(/aws-actions\/configure-aws-credentials/);
  });

  it("for another account: exit 2, both accounts named", async () => {
    sts.on(GetCallerIdentityCommand).resolves({
      Account: "111111111111",
      Arn: "arn:aws:iam::111111111111:user/dev",
      UserId: "AIDA",
    });
    const error = await target()
      .target.checkCredentials()
      .catch((err) => err);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `The AWS credentials are for account 111111111111, but environment "prod" is account ${ACCOUNT}.`,
    );
  });
});

describe("releases and rollback", () => {
  function mockHistory() {
    mockHappyPath();
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service([{ id: NEW, status: "PRIMARY", taskDefinition: td(8), rolloutState: "COMPLETED" }]),
      ],
    });
    ecs
      .on(ListTaskDefinitionsCommand)
      .resolves({ taskDefinitionArns: [td(8), td(7), td(6), td(1)] });
    const revision = (n: number, digit: string, tags = true) => ({
      taskDefinition: {
        ...apiTaskDefinition(n, `${REPO_URI}@sha256:${digit.repeat(64)}`),
        registeredAt: new Date(`2026-11-2${n % 10}T10:00:00Z`),
      },
      tags: tags
        ? [
            { key: "deploy-kit:commit", value: digit.repeat(40) },
            { key: "deploy-kit:tag", value: digit.repeat(12) },
            { key: "deploy-kit:version", value: "0.1.0" },
            { key: "deploy-kit:outcome", value: "succeeded" },
          ]
        : [],
    });
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: td(8), include: ["TAGS"] })
      .resolves(revision(8, "8"));
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: td(7), include: ["TAGS"] })
      .resolves(revision(7, "7"));
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: td(6), include: ["TAGS"] })
      .resolves(revision(6, "6"));
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: td(1), include: ["TAGS"] })
      .resolves(revision(1, "0", false));
  }

  it("lists the releases deploy-kit registered, newest first, marking the current one", async () => {
    mockHistory();
    const releases = await target().target.releases(app);
    expect(releases.map((r) => [r.revision, r.commit.slice(0, 4), r.current])).toEqual([
      [8, "8888", true],
      [7, "7777", false],
      [6, "6666", false],
    ]);
    expect(releases[1]?.image).toBe(`${REPO_URI}@sha256:${"7".repeat(64)}`);
  });

  it("rolls back to the release before the current one, or to --to", async () => {
    mockHistory();
    const t = target().target;
    expect(await t.rollbackTarget(app, undefined)).toMatchObject({
      image: `${REPO_URI}@sha256:${"7".repeat(64)}`,
      commit: "7".repeat(40),
    });
    expect(await t.rollbackTarget(app, "6666")).toMatchObject({ commit: "6".repeat(40) });
    expect(await t.rollbackTarget(app, "6")).toMatchObject({ commit: "6".repeat(40) });
    await expect(t.rollbackTarget(app, "abc")).rejects.toThrow(/No release matches "abc"/);
  });

  it("a rollback is a release of the old image: pinned, waited for, recorded", async () => {
    mockHistory();
    const t = target().target;
    const back = await t.rollbackTarget(app, undefined);
    mockHappyPath();
    answerDescribeServices(steady, done);
    await t.release(back, options());
    expect(ecr.commandCalls(DescribeImagesCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand).at(-1)?.args[0].input.Value).toBe(
      `${REPO_URI}@sha256:${"7".repeat(64)}`,
    );
  });
});

describe("status", () => {
  it("reports image, commit, revision, desired/running, rollout state and when", async () => {
    mockHappyPath();
    ecs.on(DescribeServicesCommand).resolves({ services: [done] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: apiTaskDefinition(8, `${REPO_URI}@${DIGEST}`),
      tags: [{ key: "deploy-kit:commit", value: "2".repeat(40) }],
    });
    const [status] = await target().target.status([app]);
    expect(status).toEqual({
      app: "api",
      url: "https://api.example.com",
      state: "running",
      release: "platform-prod-api:8",
      image: `${REPO_URI}@${DIGEST}`,
      commit: "2".repeat(40),
      health: "completed, running 2/2",
      since: "2026-11-25T10:00:00.000Z",
      history: [],
    });
  });
});

describe("diagnose", () => {
  it("describes the service once and reports on it", async () => {
    mockHappyPath();
    answerDescribeServices(done);
    const lines = await target().target.diagnose(app);
    expect(lines[0]).toBe(
      `No failure found: deployment ${NEW} is COMPLETED with 2 of 2 tasks running.`,
    );
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });
});

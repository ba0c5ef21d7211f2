import { GetLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { beforeEach, describe, expect, it } from "vitest";
import { GitHubActions } from "../../github.js";
import { createAwsClients } from "../clients.js";
import { diagnose, formatDiagnosis } from "../diagnose.js";
import { ecs, elb, logs, resetAwsMocks } from "./fixtures/aws-mocks.js";
import { recorded } from "./fixtures/recorded.js";
import { REGION } from "./fixtures/task-definition.js";

beforeEach(resetAwsMocks);

const PASSWORD = "pw-9f8e7d6c5b";
const BEARER = "abc.def.ghi-0123";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl";
const LINES = [
  `DATABASE_URL=postgres://app:${PASSWORD}@db.internal:5432/shop`,
  `{"level":"error","msg":"upstream refused","headers":{"Authorization":"Bearer ${BEARER}"}}`,
  `PAYMENT_KEY: ${JWT}`,
  "Error: connect ECONNREFUSED 10.0.1.7:5432",
];

const output = new WeakMap<object, string[]>();

/** A stream that keeps what is written to it. */
function sink(): NodeJS.WritableStream {
  const chunks: string[] = [];
  const stream = {
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
  };
  output.set(stream, chunks);
  return stream as unknown as NodeJS.WritableStream;
}

function written(github: GitHubActions): string {
  const stream = (github as unknown as { out: object }).out;
  return (output.get(stream) ?? []).join("");
}

/** The recorded out-of-memory release, its task logs replaced by lines full of secrets. */
function replaySecrets(): void {
  const recording = recorded("diagnose-fargate-oom");
  ecs.on(DescribeServicesCommand).resolves(recording.DescribeServices);
  for (const [arn, output] of Object.entries(recording.DescribeTaskDefinition)) {
    const definition = structuredClone(output);
    for (const container of definition.taskDefinition?.containerDefinitions ?? []) {
      container.secrets = [
        { name: "PAYMENT_KEY", valueFrom: "arn:aws:ssm:eu-west-1:222222222222:parameter/p" },
      ];
      container.environment = [
        ...(container.environment ?? []),
        { name: "PLATFORM_SECRET_NAMES", value: "DATABASE_URL,PAYMENT_KEY" },
      ];
    }
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: arn }).resolves(definition);
  }
  ecs.on(ListTasksCommand).resolves(recording.ListTasks);
  if (recording.DescribeTasks) ecs.on(DescribeTasksCommand).resolves(recording.DescribeTasks);
  elb.on(DescribeTargetGroupsCommand).resolves(recording.DescribeTargetGroups);
  elb.on(DescribeTargetHealthCommand).resolves(recording.DescribeTargetHealth);
  logs
    .on(GetLogEventsCommand)
    .rejects(
      new ResourceNotFoundException({ message: "no stream", $metadata: { httpStatusCode: 400 } }),
    );
  for (const stream of Object.keys(recording.GetLogEvents ?? {})) {
    logs.on(GetLogEventsCommand, { logStreamName: stream }).resolves({
      events: LINES.map((message, i) => ({ timestamp: i, message })),
    });
  }
}

describe("diagnose keeps secrets out of what it prints", () => {
  it("redacts task log lines in the text and the JSON (which the job summary and annotations show)", async () => {
    replaySecrets();
    const masked: string[] = [];

    const diagnosis = await diagnose(createAwsClients(REGION), {
      cluster: "platform-prod",
      service: "api",
      since: new Date("2026-11-20T10:04:50Z"),
      environment: "prod",
      mask: (value) => masked.push(value),
    });

    const text = formatDiagnosis(diagnosis).join("\n");
    const json = JSON.stringify(diagnosis);
    for (const output of [text, json]) {
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(BEARER);
      expect(output).not.toContain(JWT);
    }
    // The diagnosis keeps what helps: which variable, which header, the error.
    expect(text).toContain("DATABASE_URL=[redacted]");
    expect(text).toContain('"Authorization":"Bearer [redacted]"');
    expect(text).toContain("Error: connect ECONNREFUSED 10.0.1.7:5432");
    expect(masked).toEqual(expect.arrayContaining([BEARER, JWT]));
    expect(masked.some((value) => value.includes(PASSWORD))).toBe(true);
  });

  it("masks what it redacted in GitHub Actions, before anything else is printed", async () => {
    replaySecrets();
    const github = new GitHubActions({ GITHUB_ACTIONS: "true" }, sink());

    const diagnosis = await diagnose(createAwsClients(REGION), {
      cluster: "platform-prod",
      service: "api",
      since: new Date("2026-11-20T10:04:50Z"),
      mask: (value) => github.mask(value),
    });
    github.error("release failed", formatDiagnosis(diagnosis).join("\n"));

    const lines = written(github).trim().split("\n");
    const firstOther = lines.findIndex((line) => !line.startsWith("::add-mask::"));
    expect(lines.slice(0, firstOther)).toEqual(
      expect.arrayContaining([`::add-mask::${BEARER}`, `::add-mask::${JWT}`]),
    );
    expect(lines.slice(firstOther).join("\n")).not.toContain(BEARER);
  });

  it("writes no ::add-mask:: outside GitHub Actions, nor for short values", () => {
    const outside = new GitHubActions({}, sink());
    const inside = new GitHubActions({ GITHUB_ACTIONS: "true" }, sink());

    outside.mask("long-secret-value");
    inside.mask("short");

    expect(written(outside) + written(inside)).toBe("");
  });
});

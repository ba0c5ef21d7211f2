import { describe, expect, it } from "vitest";
import { parseSecretRef } from "../secret-ref.js";

const ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf";

describe("parseSecretRef", () => {
  it.each([
    ["ssm:/platform/api/DB", { source: "ssm", name: "/platform/api/DB" }],
    ["secretsmanager:platform/db", { source: "secretsmanager", name: "platform/db" }],
    [
      "secretsmanager:platform/db:password",
      { source: "secretsmanager", name: "platform/db", jsonKey: "password" },
    ],
    [`secretsmanager:${ARN}`, { source: "secretsmanager", name: ARN }],
    [
      `secretsmanager:${ARN}:password`,
      { source: "secretsmanager", name: ARN, jsonKey: "password" },
    ],
  ])("reads %s", (raw, expected) => {
    expect(parseSecretRef(raw)).toEqual({ ...expected, raw });
  });

  it.each([
    "hunter2",
    "ssm:platform/api/DB",
    "ssm:/platform//DB",
    "ssm:/with space",
    "secretsmanager:",
    "secretsmanager:db:",
    "secretsmanager:db:a:b",
    `secretsmanager:${ARN}:a:b`,
    "secretsmanager:arn:aws:s3:::bucket",
  ])("rejects %s", (raw) => {
    expect(parseSecretRef(raw)).toBeUndefined();
  });
});

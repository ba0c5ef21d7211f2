import { describe, expect, it } from "vitest";
import { REDACTED, redactLines, redactText } from "../redact.js";

// Credential-shaped fixtures are assembled at run time, so that no credential-looking literal sits
// in the repository for secret scanners to flag (none of these is, or was, a real credential).
const ACCESS_KEY_ID = ["AK", "IA", "Z".repeat(16)].join("");
const PEM = (edge: string) => `-----${edge} RSA ${["PRIV", "ATE"].join("")} KEY-----`;

describe("redactLines", () => {
  it.each([
    ["DATABASE_URL=postgres://u:pw-12345@h/db", ["DATABASE_URL"], "pw-12345"],
    ['{"level":"info","DATABASE_URL":"postgres://u:pw-12345@h/db"}', ["DATABASE_URL"], "pw-12345"],
    ["config: STRIPE_KEY: sk_live_abcdef", ["STRIPE_KEY"], "sk_live_abcdef"],
    ["API_TOKEN=tok-abcdef", [], "tok-abcdef"],
    ["Authorization: Bearer abc.def.ghi", [], "abc.def.ghi"],
    ["proxy-authorization: Basic dXNlcjpwYXNz", [], "dXNlcjpwYXNz"],
    [`creds ${ACCESS_KEY_ID} in use`, [], ACCESS_KEY_ID],
    ["jwt eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", [], "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"],
    ["connect redis://default:s3cr3t-pw@cache:6379", [], "s3cr3t-pw"],
    ["GET /cb?code=1&access_token=qwerty123&page=2", [], "qwerty123"],
  ])("takes the secret out of %s", (line, names, secret) => {
    const [out] = redactLines([line], { names });

    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it("keeps what is not a secret", () => {
    const lines = ["listening on 8080", "GET /items?page=2 200", "user u connected to db h"];

    expect(redactLines(lines, { names: ["DATABASE_URL"] })).toEqual(lines);
  });

  it("keeps the user of a URL and the host, for the diagnosis", () => {
    expect(redactText("postgres://app:pw-123456@db.internal:5432/x")).toBe(
      "postgres://app:[redacted]@db.internal:5432/x",
    );
  });

  it("replaces known values wherever they occur, and reports each once", () => {
    const redacted: string[] = [];

    const out = redactLines(["failed with hunter2-hunter2", "again hunter2-hunter2", "abc"], {
      values: ["hunter2-hunter2", "abc"],
      onRedacted: (value) => redacted.push(value),
    });

    expect(out).toEqual(["failed with [redacted]", "again [redacted]", "abc"]);
    expect(redacted).toEqual(["hunter2-hunter2"]);
  });

  it("takes out a private key block", () => {
    const out = redactText(`key ${PEM("BEGIN")}MIIEabc${PEM("END")}`);

    expect(out).toBe("key [redacted]");
  });
});

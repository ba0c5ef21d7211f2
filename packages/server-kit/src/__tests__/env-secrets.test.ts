import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadEnv, port, secret } from "../env.js";

function problemsOf(run: () => unknown): { message: string; problems: readonly string[] } {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return { message: err.message, problems: err.problems };
    throw err;
  }
  throw new Error("loadEnv did not throw");
}

describe("loadEnv never prints a secret's value", () => {
  it("hides a variable named in PLATFORM_SECRET_NAMES", () => {
    const { message, problems } = problemsOf(() =>
      loadEnv(
        { DB_URL: port(1) },
        { DB_URL: "postgres://u:hunter2@h", PLATFORM_SECRET_NAMES: "OTHER, DB_URL" },
      ),
    );

    expect(message).not.toContain("hunter2");
    expect(problems.join("\n")).not.toContain("hunter2");
    expect(message).toContain("DB_URL=(hidden, 22 characters)");
  });

  it("hides a variable marked with secret(), even where zod's message embeds the input", () => {
    const shape = {
      DB_URL: secret(
        z.string().refine((value) => value.startsWith("mysql:"), {
          error: (issue) => `"${String(issue.input)}" is not a mysql URL`,
        }),
      ),
    };

    const { message } = problemsOf(() => loadEnv(shape, { DB_URL: "postgres://u:hunter2@h" }));

    expect(message).not.toContain("hunter2");
    expect(message).toContain("DB_URL=(hidden, 22 characters): is not valid.");
  });

  it.each(["API_TOKEN", "STRIPE_SECRET", "DB_PASSWORD", "SIGNING_KEY"])(
    "hides a secret-looking name (%s)",
    (name) => {
      const { message } = problemsOf(() =>
        loadEnv({ [name]: z.string().min(40) }, { [name]: "hunter2-hunter2" }),
      );

      expect(message).not.toContain("hunter2");
      expect(message).toContain(`${name}=(hidden, 15 characters): is too short.`);
    },
  );

  it("still says that a secret is unset, and shows other values", () => {
    const { message } = problemsOf(() =>
      loadEnv({ API_TOKEN: z.string(), PORT: port(8080) }, { PORT: "http" }),
    );

    expect(message).toContain("API_TOKEN=(unset): is required.");
    expect(message).toContain('PORT="http"');
  });
});

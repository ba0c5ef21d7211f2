import { ConfigError, type ConfigProblem } from "@repo/platform-config/errors";

// The infra's synth-time checks throw the same ConfigError as @repo/platform-config, so every
// tool prints them the same way (`file: field = value: message. Fix: fix`) and CLIs map them to
// the config exit code.

/** The manifest an app's settings come from, as shown in messages. */
export function manifestFile(app: string): string {
  return `apps/${app}/deploy.json`;
}

/** Throws a ConfigError with one problem. */
export function fail(problem: ConfigProblem): never {
  throw new ConfigError([problem]);
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly (string | number)[]): string {
  const texts = items.map(String);
  if (texts.length <= 1) return texts.join("");
  return `${texts.slice(0, -1).join(", ")} or ${texts.at(-1)}`;
}

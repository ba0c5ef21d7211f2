/**
 * One thing wrong in a config file, with everything a person needs to fix it without reading
 * the source: where (`file`, `field`), what was found (`value`), why it is wrong (`message`)
 * and what to write instead (`fix`).
 */
export interface ConfigProblem {
  /** Repo-relative path of the file, such as `apps/api/deploy.json`. */
  file: string;
  /** Dotted path of the field, such as `environments.prod.minCount`; `(file)` for the whole file. */
  field: string;
  /** The value found; `undefined` when the field is missing. */
  value: unknown;
  /** What is wrong, without a trailing period. */
  message: string;
  /** What to set instead, without a trailing period. */
  fix: string;
}

/**
 * Stands in for a value that must not be printed, such as a secret written where a reference
 * belongs: CI logs are widely readable, so the message shows only its length.
 */
export class HiddenValue {
  constructor(readonly length: number) {}
  toJSON(): string {
    return `(hidden, ${this.length} characters)`;
  }
}

const MAX_VALUE_LENGTH = 80;

/** The value as it appears in a message: JSON, shortened so one problem stays one line. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (value instanceof HiddenValue) return value.toJSON();
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 3)}...` : text;
}

/** One line: `file: field = value: message. Fix: fix`. */
export function formatProblem(problem: ConfigProblem): string {
  const { file, field, value, message, fix } = problem;
  return `${file}: ${field} = ${formatValue(value)}: ${message}. Fix: ${fix}`;
}

/**
 * Thrown for every mistake in the platform config or an app manifest. All problems found are
 * reported at once, one line each, so a user fixes them in one round instead of one per run.
 * Callers print `message` (never the stack) and exit with the usage/config exit code.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.problems = problems;
  }
}

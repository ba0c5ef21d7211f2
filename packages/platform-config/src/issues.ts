import { z } from "zod";
import { type ConfigProblem, HiddenValue } from "./errors.js";
import { closestSpelling } from "./spelling.js";

// Turns zod's issues into ConfigProblems. zod's own messages ("Invalid input: expected number,
// received string") say nothing about what to write instead; the schema's descriptions do.

type Issue = z.core.$ZodIssue;

/** The dotted field path as shown to users; `(file)` for the document itself. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(file)" : path.map(String).join(".");
}

/** The value at `path` in `input`, or `undefined` when any step is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Peels the wrappers (`optional`, `default`, ...) that do not change what a field holds. */
function* layers(schema: z.ZodType): Generator<z.ZodType> {
  let current: z.ZodType | undefined = schema;
  while (current) {
    yield current;
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodReadonly
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      current = undefined;
    }
  }
}

function innermost(schema: z.ZodType): z.ZodType {
  let last = schema;
  for (const layer of layers(schema)) last = layer;
  return last;
}

function description(schema: z.ZodType | undefined): string | undefined {
  if (!schema) return undefined;
  for (const layer of layers(schema)) if (layer.description) return layer.description;
  return undefined;
}

/** The schema of the field at `path`, following object shapes, catchalls and record values. */
function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const key of path) {
    if (!current) return undefined;
    const inner = innermost(current);
    if (inner instanceof z.ZodObject) {
      const shape = inner.shape as Record<string, z.ZodType>;
      const catchall = inner.def.catchall as z.ZodType | undefined;
      current = Object.hasOwn(shape, String(key))
        ? shape[String(key)]
        : catchall instanceof z.ZodNever
          ? undefined
          : catchall;
    } else if (inner instanceof z.ZodRecord) {
      current = inner.valueType as z.ZodType;
    } else {
      return undefined;
    }
  }
  return current;
}

function recordKeySchema(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  const parent = schemaAt(root, path.slice(0, -1));
  const inner = parent && innermost(parent);
  return inner instanceof z.ZodRecord ? (inner.keyType as z.ZodType) : undefined;
}

function allowedKeys(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  const inner = schema && innermost(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** The allowed key a typo most likely meant, if one is close enough to suggest. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  const byLowerCase = new Map(allowed.map((candidate) => [candidate.toLowerCase(), candidate]));
  const match = closestSpelling(
    key.toLowerCase(),
    byLowerCase.keys(),
    Math.max(2, Math.floor(key.length / 3)),
  );
  return match === undefined ? undefined : byLowerCase.get(match);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "an array",
};

function describeIssue(issue: Issue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "is required";
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${kindOf(value)}`;
    case "too_small":
      return issue.origin === "string"
        ? `must be at least ${issue.minimum} characters long`
        : `must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `must be at most ${issue.maximum} characters long`
        : `must be at most ${issue.maximum}`;
    case "invalid_format":
      return "is not valid";
    case "invalid_value":
      return `must be one of ${issue.values.map((option) => JSON.stringify(option)).join(", ")}`;
    default:
      return issue.message.replace(/\.$/, "");
  }
}

function fixFor(path: readonly PropertyKey[], schema: z.ZodType | undefined): string {
  const text = description(schema);
  if (path.length === 0) {
    // The root's description is a sentence about the whole file, not a value to set.
    const about = text
      ? ` (${text.charAt(0).toLowerCase()}${text.slice(1).replace(/\.$/, "")})`
      : "";
    return `write the file as one JSON object${about}`;
  }
  const field = fieldName(path);
  return text ? `set ${field} to ${text}` : `correct ${field}`;
}

function problemsFor(
  issue: Issue,
  root: z.ZodType,
  input: unknown,
  file: string,
  path: readonly PropertyKey[],
): ConfigProblem[] {
  const field = fieldName(path);
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeys(root, path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, allowed);
      const rename = suggestion ? ` or rename it to "${suggestion}"` : "";
      return {
        file,
        field: fieldName([...path, key]),
        value: valueAt(input, [...path, key]),
        message: "is not a known key",
        fix: `remove "${key}"${rename}; allowed keys${path.length ? ` in ${field}` : ""}: ${allowed.join(", ")}`,
      };
    });
  }
  if (issue.code === "invalid_key") {
    // The value shown is the key itself: the key's own check failed, not the entry's value.
    const key = path[path.length - 1];
    const keySchema = recordKeySchema(root, path);
    return issue.issues.map((inner) => {
      const custom = inner.code === "custom" ? customParams(inner) : undefined;
      return {
        file,
        field,
        value: key,
        message: inner.code === "custom" ? inner.message : "is not a valid name",
        fix: custom?.fix ?? `rename it to ${description(keySchema) ?? "a valid name"}`,
      };
    });
  }
  const value = valueAt(input, path);
  if (issue.code === "custom") {
    const params = customParams(issue);
    return [
      {
        file,
        field,
        value: params.hidden
          ? new HiddenValue(String(value ?? "").length)
          : "value" in params
            ? params.value
            : value,
        message: issue.message,
        fix: params.fix ?? fixFor(path, schemaAt(root, path)),
      },
    ];
  }
  if (issue.code === "invalid_union" || issue.code === "invalid_element") {
    return [
      { file, field, value, message: "is not valid", fix: fixFor(path, schemaAt(root, path)) },
    ];
  }
  return [
    {
      file,
      field,
      value,
      message: describeIssue(issue, value),
      fix: fixFor(path, schemaAt(root, path)),
    },
  ];
}

function customParams(issue: z.core.$ZodIssueCustom): {
  fix?: string;
  value?: unknown;
  hidden?: boolean;
} {
  return issue.params ?? {};
}

/**
 * Validates `input` (the parsed JSON of `file`) against `schema`. Returns the data, or every
 * problem found, each with the field's description as the fix.
 */
export function validate<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  file: string,
): { ok: true; data: z.output<Schema> } | { ok: false; problems: ConfigProblem[] } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  const problems = result.error.issues.flatMap((issue) =>
    problemsFor(issue, schema, input, file, issue.path),
  );
  return { ok: false, problems };
}

/** A problem built from one of schema.ts's check issues, for checks run outside a schema. */
export function problemFromCheck(
  check: { path: string[]; message: string; params: { fix: string; value?: unknown } },
  input: unknown,
  file: string,
): ConfigProblem {
  return {
    file,
    field: fieldName(check.path),
    value: "value" in check.params ? check.params.value : valueAt(input, check.path),
    message: check.message,
    fix: check.params.fix,
  };
}

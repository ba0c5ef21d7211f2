import { z } from "zod";
import { appManifestSchema, platformConfigSchema } from "./schema.js";

/** The generated JSON schema files, by path relative to this package. */
export const JSON_SCHEMA_FILES = {
  "schema/platform.schema.json": platformConfigSchema,
  "schema/app.schema.json": appManifestSchema,
} as const;

/**
 * The JSON schema of each config file, for editors: completion, the descriptions as hover help,
 * and red squiggles for what a schema can express. The zod schemas stay the authority (they also
 * check what JSON schema cannot, such as minCount <= desiredCount <= maxCount).
 */
export function jsonSchemas(): Record<keyof typeof JSON_SCHEMA_FILES, unknown> {
  const entries = Object.entries(JSON_SCHEMA_FILES).map(([file, schema]) => [
    file,
    // "input": fields with defaults are optional in the file. draft-07 is the draft editors
    // (VS Code, JetBrains) support completely.
    z.toJSONSchema(schema, { io: "input", target: "draft-07" }),
  ]);
  return Object.fromEntries(entries) as Record<keyof typeof JSON_SCHEMA_FILES, unknown>;
}

/** The file text for a schema, as the script writes it. */
export function jsonSchemaText(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

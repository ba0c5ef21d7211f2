// Writes schema/*.json from the zod schemas: `npm run schema -w @repo/platform-config`.
// A test fails when the committed files differ from what this writes.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { jsonSchemas, jsonSchemaText } from "../src/json-schema.js";

const packageDir = path.resolve(import.meta.dirname, "..");
const files = Object.entries(jsonSchemas()).map(([file, schema]) => {
  writeFileSync(path.join(packageDir, file), jsonSchemaText(schema));
  return file;
});
// Formatted the way `biome check` wants them, so regenerating leaves lint clean. Biome is the
// repository's root tool, which every workspace already runs.
const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
execFileSync(process.execPath, [biome, "format", "--write", ...files], {
  cwd: packageDir,
  stdio: "inherit",
});

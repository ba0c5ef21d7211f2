import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JSON_SCHEMA_FILES, jsonSchemas } from "../json-schema.js";
import { REPO_ROOT } from "./temp-repo.js";

const packageDir = path.resolve(import.meta.dirname, "../..");

describe("the committed JSON schemas", () => {
  // Compared as data, not text: Biome may reformat the files.
  it.each(Object.keys(JSON_SCHEMA_FILES))("%s matches the zod schema", (file) => {
    const committed: unknown = JSON.parse(readFileSync(path.join(packageDir, file), "utf8"));
    const generated = jsonSchemas()[file as keyof typeof JSON_SCHEMA_FILES];
    expect(
      committed,
      `${file} is out of date: run \`npm run schema -w @repo/platform-config\` and commit the result`,
    ).toEqual(generated);
  });

  it("are the ones the config files point their editors at", () => {
    const config = JSON.parse(readFileSync(path.join(REPO_ROOT, "platform.config.json"), "utf8"));
    expect(path.resolve(REPO_ROOT, config.$schema)).toBe(
      path.join(packageDir, "schema/platform.schema.json"),
    );
    // Every app of the repository, whichever the team has.
    const appsDir = path.join(REPO_ROOT, "apps");
    const apps = existsSync(appsDir) ? readdirSync(appsDir) : [];
    for (const app of apps.filter((name) => existsSync(path.join(appsDir, name, "deploy.json")))) {
      const dir = path.join(appsDir, app);
      const manifest = JSON.parse(readFileSync(path.join(dir, "deploy.json"), "utf8"));
      expect(path.resolve(dir, manifest.$schema)).toBe(
        path.join(packageDir, "schema/app.schema.json"),
      );
    }
  });
});

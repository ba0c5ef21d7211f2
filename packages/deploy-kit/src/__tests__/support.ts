import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * The repository's platform config with a project name of its own and a free edge port, so a
 * test's containers, network and edge never meet a developer's running local platform.
 */
export function tempPlatform(edgePort: number, local: Record<string, unknown> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "deploy-kit-test-"));
  const config = JSON.parse(readFileSync(path.join(repoRoot, "platform.config.json"), "utf8"));
  const project = `dkt${randomBytes(3).toString("hex")}`;
  config.project = project;
  delete config.$schema;
  config.environments = {
    ...config.environments,
    local: { ...config.environments?.local, edgePort, ...local },
  };
  const file = path.join(dir, "platform.config.json");
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { file, project, edgePort, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

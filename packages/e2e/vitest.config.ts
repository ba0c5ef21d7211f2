import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Every test here builds, runs or deploys the sample apps' images. A team that removed them
// (npm run setup -- --remove-samples) has nothing for these tests to run: say so and skip them
// all, in CI too; the generator's test in packages/setup deploys a new app instead.
const missing = ["api", "web"].filter(
  (app) => !existsSync(new URL(`../../apps/${app}/Dockerfile`, import.meta.url)),
);
if (missing.length > 0) {
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPING the e2e tests: the sample apps ${missing.map((app) => `apps/${app}`).join(" and ")} are gone\n!! (npm run setup -- --remove-samples). These tests build and run their images.\n${bar}\n`,
  );
}

export default defineConfig({
  test: {
    ...(missing.length > 0 ? { include: [], passWithNoTests: true } : {}),
    // Image builds and container starts: one file at a time on a 2-core machine.
    fileParallelism: false,
    // A safety net for hangs, not a speed target (bench/ measures speed). Most tests here build an
    // image: on a fresh machine the first build runs `npm ci` inside the image with an empty
    // BuildKit cache while the other workspaces' tests load both cores, which took over a minute
    // in CI.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});

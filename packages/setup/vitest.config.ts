import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The integration file copies the repository, runs its checks and deploys to Docker: one file
    // at a time on a 2-core machine.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 600_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Synthesizing stacks is CPU-bound; a 2-core machine does best with few workers.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Synthesizing stacks is CPU-bound; a 2-core machine does best with few workers.
    maxWorkers: 2,
    testTimeout: 120_000,
    // beforeAll hooks synthesize whole stacks; on a loaded 2-core CI machine that takes a while.
    hookTimeout: 180_000,
  },
});

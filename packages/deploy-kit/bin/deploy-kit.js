#!/usr/bin/env node
// npm links a workspace's bin only when the file exists at install time, and dist/ is built after
// `npm ci`: so the bin is this committed launcher, and the CLI itself is the compiled dist/cli.js.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error(
    "deploy-kit is not built yet: run `npx turbo run build --filter=@repo/deploy-kit` (npm run up does it).",
  );
  process.exit(2);
}
await import(cli.href);

#!/usr/bin/env node
// npm links a workspace's bin only when the file exists at install time, and dist/ is built after
// `npm ci`: so the bin is this committed launcher, and the CLI itself is the compiled dist file.
import { existsSync } from "node:fs";

const cli = new URL("../dist/platform-github.js", import.meta.url);
if (!existsSync(cli)) {
  console.error(
    "platform-github is not built yet: run `npx turbo run build --filter=@repo/ci` (`npm run github -w @repo/ci` does it).",
  );
  process.exit(2);
}
await import(cli.href);

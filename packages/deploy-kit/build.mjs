// Bundles the CLI (with each command as its own lazily loaded chunk, so `--help` stays fast) and
// the edge router, which runs in its own container.
import { copyFileSync, readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minifySyntax: true,
  legalComments: "none",
  banner: {
    js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  },
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { cli: "src/cli.ts" },
  define: { DEPLOY_KIT_VERSION: JSON.stringify(version) },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
});
await build({
  ...common,
  entryPoints: { server: "src/edge/server.ts" },
  outdir: "dist/edge",
  outExtension: { ".js": ".mjs" },
});
// The edge image is built from dist/edge alone: its Dockerfile travels with the bundle.
copyFileSync("src/edge/Dockerfile", "dist/edge/Dockerfile");

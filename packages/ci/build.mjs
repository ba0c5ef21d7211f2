// Bundles the three CLIs, gen-workflows, platform-env and platform-github (with
// @repo/platform-config, which is TypeScript source), into one file each.
import { build } from "esbuild";

await build({
  entryPoints: {
    "gen-workflows": "src/gen-workflows.ts",
    "platform-env": "src/platform-env-cli.ts",
    "platform-github": "src/platform-github-cli.ts",
  },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minifySyntax: true,
  legalComments: "none",
  banner: {
    js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  },
  outdir: "dist",
  logLevel: "warning",
});

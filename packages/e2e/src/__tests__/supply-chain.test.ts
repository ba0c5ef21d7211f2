import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../docker.js";

// The image builds' helper scripts (Node built-ins only, run inside the build stages). No Docker.
const rootLock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8"));
const temp = mkdtempSync(path.join(tmpdir(), "supply-chain-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("scripts/turbo-lock.mjs", () => {
  it("writes a lockfile whose turbo entries are the repository lockfile's, byte for byte", () => {
    const out = path.join(temp, "turbo");
    execFileSync(process.execPath, [
      path.join(repoRoot, "scripts/turbo-lock.mjs"),
      path.join(repoRoot, "package-lock.json"),
      out,
    ]);
    const lock = JSON.parse(readFileSync(path.join(out, "package-lock.json"), "utf8"));
    const manifest = JSON.parse(readFileSync(path.join(out, "package.json"), "utf8"));
    const turbo = rootLock.packages["node_modules/turbo"];

    expect(manifest.devDependencies).toEqual({ turbo: turbo.version });
    const keys = Object.keys(lock.packages).filter(Boolean);
    expect(keys).toEqual([
      "node_modules/turbo",
      ...Object.keys(turbo.optionalDependencies)
        .sort()
        .map((name) => `node_modules/${name}`),
    ]);
    for (const key of keys) {
      expect(JSON.stringify(lock.packages[key])).toBe(JSON.stringify(rootLock.packages[key]));
    }
  });
});

describe("scripts/bundle-sbom.mjs", () => {
  it("lists the bundled packages at the lockfile's versions, as CycloneDX and as manifests", () => {
    const root = path.join(temp, "repo");
    const app = path.join(root, "apps", "demo");
    mkdirSync(path.join(app, "dist"), { recursive: true });
    writeFileSync(
      path.join(root, "package-lock.json"),
      JSON.stringify({
        packages: {
          "node_modules/express": { version: "5.3.0", license: "MIT", integrity: "sha512-AAAA" },
          "node_modules/@pinojs/redact": { version: "0.4.0", license: "MIT" },
          "node_modules/router/node_modules/debug": { version: "4.4.3", license: "MIT" },
          "node_modules/body-parser/node_modules/debug": { version: "4.4.3", license: "MIT" },
          "node_modules/unused": { version: "1.0.0" },
        },
      }),
    );
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "@repo/demo" }));
    writeFileSync(
      path.join(app, "dist", "meta.json"),
      JSON.stringify({
        inputs: {
          "src/server.ts": {},
          "../../packages/server-kit/src/http.ts": {},
          "../../node_modules/express/lib/express.js": {},
          "../../node_modules/express/index.js": {},
          "../../node_modules/@pinojs/redact/index.js": {},
          "../../node_modules/router/node_modules/debug/src/index.js": {},
          "../../node_modules/body-parser/node_modules/debug/src/index.js": {},
        },
      }),
    );

    execFileSync(process.execPath, [path.join(repoRoot, "scripts/bundle-sbom.mjs"), app]);

    const dist = path.join(app, "dist");
    const bom = JSON.parse(readFileSync(path.join(dist, "sbom.cdx.json"), "utf8"));
    expect(bom.components.map((c: { purl: string }) => c.purl)).toEqual([
      "pkg:npm/%40pinojs/redact@0.4.0",
      "pkg:npm/debug@4.4.3",
      "pkg:npm/express@5.3.0",
    ]);
    const manifest = (key: string) =>
      JSON.parse(readFileSync(path.join(dist, key, "package.json"), "utf8"));
    expect(manifest("node_modules/express")).toEqual({
      name: "express",
      version: "5.3.0",
      license: "MIT",
    });
    expect(manifest("node_modules/router/node_modules/debug").version).toBe("4.4.3");
    expect(manifest("node_modules/@pinojs/redact").name).toBe("@pinojs/redact");
    // The metafile is gone, so it never reaches the image.
    expect(() => readFileSync(path.join(dist, "meta.json"))).toThrow();
  });

  it("fails, naming the fix, when the build wrote no metafile", () => {
    const app = path.join(temp, "bare");
    mkdirSync(path.join(app, "dist"), { recursive: true });
    writeFileSync(path.join(temp, "package-lock.json"), "{}");

    let stderr = "";
    try {
      execFileSync(process.execPath, [path.join(repoRoot, "scripts/bundle-sbom.mjs"), app], {
        stdio: "pipe",
      });
    } catch (err) {
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(stderr).toMatch(/add --metafile=dist\/meta.json to the esbuild command/);
  });
});

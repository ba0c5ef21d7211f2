// The SBOM of an app's bundle: which npm packages esbuild bundled into dist/, at the versions the
// lockfile pins. Image scanners (Trivy, Amazon Inspector) find npm packages by the package.json of
// installed packages, and a bundle has none, so it writes, into <app>/dist (copied to /app):
//   sbom.cdx.json                      CycloneDX 1.5, one pkg:npm component per bundled package;
//   node_modules/<name>/package.json   {name, version, license} per bundled package, manifests
//                                      only (no code: the bundle never requires them).
// It reads <app>/dist/meta.json (esbuild --metafile) and removes it afterwards.
//   node scripts/bundle-sbom.mjs <app folder>
// Node built-ins only: it runs in the image's build stage.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The lockfile key of the package a bundled file belongs to ("node_modules/a/node_modules/@s/b"). */
export function packageKey(file) {
  const parts = file.split(/[\\/]/);
  const last = parts.lastIndexOf("node_modules");
  if (last < 0) return undefined;
  const first = parts.indexOf("node_modules");
  const nameLength = parts[last + 1]?.startsWith("@") ? 2 : 1;
  const name = parts.slice(last + 1, last + 1 + nameLength);
  if (name.length < nameLength || !name.every(Boolean)) return undefined;
  return [...parts.slice(first, last + 1), ...name].join("/");
}

/** The bundled packages: {key, name, version, license}, sorted, from a metafile and a lockfile. */
export function bundledPackages(meta, lock, inputBase, lockDir) {
  const found = new Map();
  for (const input of Object.keys(meta.inputs ?? {})) {
    const relative = path.relative(lockDir, path.resolve(inputBase, input));
    const key = packageKey(relative);
    if (!key || found.has(key)) continue;
    const entry = lock.packages?.[key];
    if (!entry?.version) {
      throw new Error(
        `${input} was bundled but package-lock.json has no version for ${key}: run \`npm install\` and build again.`,
      );
    }
    const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    found.set(key, {
      key,
      name,
      version: entry.version,
      ...(entry.license ? { license: entry.license } : {}),
      ...(entry.integrity ? { integrity: entry.integrity } : {}),
    });
  }
  return [...found.values()].sort((a, b) => a.key.localeCompare(b.key));
}

const purl = (name, version) =>
  `pkg:npm/${name.startsWith("@") ? `%40${name.slice(1)}` : name}@${version}`;

/** CycloneDX 1.5 JSON of the bundled packages. */
export function cycloneDx(app, packages) {
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: {
      // No timestamp: the same inputs give the same file, so the image layer stays cached.
      component: { type: "application", name: app.name, version: app.version ?? "0.0.0" },
      tools: { components: [{ type: "application", name: "bundle-sbom.mjs" }] },
    },
    // One component per name and version (bom-refs are unique), however many copies nest.
    components: [
      ...new Map(packages.map((pkg) => [purl(pkg.name, pkg.version), pkg])).values(),
    ].map((pkg) => {
      const hash = /^sha512-(.+)$/.exec(pkg.integrity ?? "")?.[1];
      return {
        type: "library",
        "bom-ref": purl(pkg.name, pkg.version),
        name: pkg.name,
        version: pkg.version,
        purl: purl(pkg.name, pkg.version),
        ...(pkg.license ? { licenses: [{ expression: pkg.license }] } : {}),
        ...(hash
          ? { hashes: [{ alg: "SHA-512", content: Buffer.from(hash, "base64").toString("hex") }] }
          : {}),
      };
    }),
  };
}

function findLock(from) {
  let dir = path.resolve(from);
  while (!existsSync(path.join(dir, "package-lock.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`No package-lock.json above ${from}.`);
    dir = up;
  }
  return dir;
}

export function writeSbom(appDir) {
  const dist = path.join(appDir, "dist");
  const metaFile = path.join(dist, "meta.json");
  if (!existsSync(metaFile)) {
    throw new Error(
      `${metaFile} is missing: add --metafile=dist/meta.json to the esbuild command of the build script in ${path.join(appDir, "package.json")}.`,
    );
  }
  const lockDir = findLock(appDir);
  const lock = JSON.parse(readFileSync(path.join(lockDir, "package-lock.json"), "utf8"));
  const app = JSON.parse(readFileSync(path.join(appDir, "package.json"), "utf8"));
  const meta = JSON.parse(readFileSync(metaFile, "utf8"));
  // esbuild writes inputs relative to the folder it ran in: the app's.
  const packages = bundledPackages(meta, lock, appDir, lockDir);
  rmSync(path.join(dist, "node_modules"), { recursive: true, force: true });
  for (const pkg of packages) {
    // Nested copies (a/node_modules/b) keep their path, as scanners expect of an install.
    const dir = path.join(dist, pkg.key);
    mkdirSync(dir, { recursive: true });
    const manifest = { name: pkg.name, version: pkg.version };
    if (pkg.license) manifest.license = pkg.license;
    writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const bom = cycloneDx(app, packages);
  writeFileSync(path.join(dist, "sbom.cdx.json"), `${JSON.stringify(bom, null, 2)}\n`);
  rmSync(metaFile);
  const digest = createHash("sha256").update(JSON.stringify(bom)).digest("hex").slice(0, 12);
  console.log(`sbom: ${packages.length} bundled packages of ${app.name} (${digest})`);
  return packages;
}

if (
  process.argv[1] &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
) {
  const [appDir] = process.argv.slice(2);
  if (!appDir) {
    console.error("usage: node scripts/bundle-sbom.mjs <app folder>");
    process.exit(2);
  }
  try {
    writeSbom(appDir);
  } catch (err) {
    console.error(`bundle-sbom: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

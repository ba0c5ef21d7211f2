// Writes a two-entry npm project that installs turbo exactly as the repository's lockfile pins it
// (version and integrity), so an image build fetches turbo with `npm ci --ignore-scripts`
// instead of `npx --yes turbo@<version>`, which checks nothing against the lockfile.
//   node scripts/turbo-lock.mjs <repository package-lock.json> <output folder>
// The entries are copied verbatim, `integrity` included: npm downloads from the configured
// registry (the lockfile has no `resolved` fields) and refuses a tarball whose hash differs.
// Node built-ins only: it runs before anything is installed.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The lockfile of a project whose only dependency is the repository's turbo. */
export function turboLock(rootLock) {
  const packages = rootLock.packages ?? {};
  const turbo = packages["node_modules/turbo"];
  if (!turbo?.version || !turbo.integrity) {
    throw new Error(
      "package-lock.json has no node_modules/turbo entry with a version and an integrity: run `npm install` at the repository root.",
    );
  }
  // turbo's binary comes from one optional package per platform; npm picks the one that fits.
  const entries = { "node_modules/turbo": turbo };
  for (const name of Object.keys(turbo.optionalDependencies ?? {}).sort()) {
    const entry = packages[`node_modules/${name}`];
    if (!entry) throw new Error(`package-lock.json has no node_modules/${name} entry for turbo.`);
    entries[`node_modules/${name}`] = entry;
  }
  // A devDependency, as at the root, so the copied entries' "dev": true stays true.
  const manifest = { name: "turbo-tool", private: true, devDependencies: { turbo: turbo.version } };
  return {
    manifest,
    lock: {
      name: manifest.name,
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: manifest.name, devDependencies: manifest.devDependencies },
        ...entries,
      },
    },
  };
}

if (
  process.argv[1] &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
) {
  const [lockFile, outDir] = process.argv.slice(2);
  if (!lockFile || !outDir) {
    console.error("usage: node scripts/turbo-lock.mjs <package-lock.json> <output folder>");
    process.exit(2);
  }
  const { manifest, lock } = turboLock(JSON.parse(readFileSync(lockFile, "utf8")));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(outDir, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
}

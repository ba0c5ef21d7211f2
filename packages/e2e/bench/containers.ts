/**
 * Figures for the images (issue 2): size above the base image, container start to first 200 on
 * /healthz, and what a one-line source change costs a rebuild, cold and warm.
 * Run: npm run bench -w @repo/e2e   (needs Docker: eval "$(../shared/ci/offline-docker.sh)")
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { baseImageArgs } from "../../deploy-kit/src/docker/base-images.js";
import {
  buildImage,
  docker,
  removeAllContainers,
  repoRoot,
  runContainer,
  waitForHttp,
} from "../src/docker.js";

const BASE = "gcr.io/distroless/nodejs24-debian12:nonroot";
const STARTS = 9;
const mb = (bytes: number) => (bytes / 1_000_000).toFixed(2);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const size = async (image: string) =>
  Number(await docker(["image", "inspect", "-f", "{{.Size}}", image]));

/** BuildKit's plain progress: "#12 [build 4/6] RUN ... npm ci" then "#12 CACHED" when reused. */
function steps(log: string) {
  const names = new Map<string, string>();
  for (const match of log.matchAll(/^(#\d+) \[[^\]]+\] (.*)$/gm))
    names.set(match[1] ?? "", match[2] ?? "");
  const cached = new Set([...log.matchAll(/^(#\d+) CACHED$/gm)].map((match) => match[1]));
  const list = [...names].map(([id, name]) => ({ name, cached: cached.has(id) }));
  return {
    total: list.length,
    cached: list.filter((step) => step.cached).length,
    npmCiCached: list.some(
      (step) => step.cached && /npm ci(?: --ignore-scripts)?$/.test(step.name),
    ),
  };
}

async function sizes() {
  const base = await size(BASE);
  console.log(`\n## Image size above ${BASE} (${mb(base)} MB)`);
  for (const app of ["api", "web"]) {
    const image = await buildImage(app, `repo-bench/${app}:latest`);
    console.log(
      `${app}: ${mb((await size(image.tag)) - base)} MB above the base (target: <= 15 MB for the api)`,
    );
  }
}

async function starts() {
  console.log(`\n## Container start to first 200 on /healthz (${STARTS} starts each)`);
  for (const app of ["api", "web"]) {
    const times: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const begin = performance.now();
      const container = await runContainer({
        image: `repo-bench/${app}:latest`,
        env: app === "web" ? { API_URL: "http://api.localhost:8080" } : {},
      });
      await waitForHttp(`${container.url}/healthz`, 15_000);
      times.push(performance.now() - begin);
      await container.remove();
    }
    console.log(
      `${app}: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (from \`docker run\` to the first 200; target: median <= 1000 ms)`,
    );
  }
}

async function rebuild() {
  console.log("\n## Rebuild of the api image after a one-line source change");
  // A copy of the working tree, so the bench never edits the repository.
  const copy = mkdtempSync(path.join(tmpdir(), "bench-rebuild-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
  for (const file of files)
    cpSync(path.join(repoRoot, file), path.join(copy, file), { recursive: true });
  const build = (extra: string[]) => {
    const begin = performance.now();
    const result = spawnSync(
      "docker",
      [
        "build",
        "--pull=false",
        "--progress=plain",
        ...extra,
        // The base-image override deploy-kit passes (BASE_IMAGE_PINS=off on the offline engine).
        ...Object.entries(
          baseImageArgs(readFileSync(path.join(copy, "apps/api/Dockerfile"), "utf8"), process.env),
        ).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
        "-f",
        "apps/api/Dockerfile",
        "-t",
        "repo-bench/api:rebuild",
        ".",
      ],
      {
        cwd: copy,
        encoding: "utf8",
        env: { ...process.env, DOCKER_BUILDKIT: "1" },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (result.status !== 0) throw new Error(`docker build failed:\n${result.stderr.slice(-4000)}`);
    return { seconds: (performance.now() - begin) / 1000, ...steps(result.stderr + result.stdout) };
  };
  try {
    const cold = build(["--no-cache"]);
    console.log(
      `cold (--no-cache; npm's download cache mount may be warm): ${cold.seconds.toFixed(1)} s, ${cold.cached}/${cold.total} steps cached`,
    );
    appendFileSync(path.join(copy, "apps/api/src/app.ts"), "\n// a one-line change\n");
    const warm = build([]);
    console.log(
      `warm (one line added to apps/api/src/app.ts): ${warm.seconds.toFixed(1)} s, ${warm.cached}/${warm.total} steps cached; npm ci layer ${warm.npmCiCached ? "from cache" : "REBUILT"}`,
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

try {
  await sizes();
  await starts();
  await rebuild();
} finally {
  await removeAllContainers();
}

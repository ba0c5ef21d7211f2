import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "@repo/test-kit/free-port";
import { RepoCopy } from "@repo/test-kit/repo-copy";
import { DOCKER_FIX, dockerMissing, toolGate } from "@repo/test-kit/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployKit } from "../deploy-kit-cli.js";
import {
  docker,
  registryDigest,
  removeAllContainers,
  repoRoot,
  runContainer,
  waitForHttp,
} from "../docker.js";

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);
const REGISTRY = process.env.REGISTRY ?? "127.0.0.1:5000";

// What the deploy workflows do: the build job runs `deploy-kit build <app> --archive <file>` and
// uploads the file; each environment's job downloads it on a machine that never built the image
// and runs `deploy-kit deploy <app> --env <env> --archive <file>`. Here: build, remove the image
// from the engine, push from the archive to a registry, and run what the registry serves.
describe.skipIf(!hasDocker)("build once, promote the archive (real Docker)", () => {
  let copy: RepoCopy;
  let dir: string;
  let archive: string;
  let commit: string;
  let tag: string;
  let version: string;

  beforeAll(async () => {
    copy = RepoCopy.create({ edgePort: await freePort(), local: { registry: REGISTRY } });
    dir = mkdtempSync(path.join(tmpdir(), "deploy-kit-archive-"));
    archive = path.join(dir, "api.tar");
    // A release as the release workflow makes one: a changeset, then `changeset version`, which
    // bumps apps/api/package.json; deploy-kit gives that version to the image as APP_VERSION.
    writeFileSync(
      path.join(copy.dir, ".changeset/e2e-api-feature.md"),
      '---\n"@repo/api": minor\n---\n\nA feature.\n',
    );
    execFileSync(path.join(copy.dir, "node_modules/.bin/changeset"), ["version"], {
      cwd: copy.dir,
      stdio: "pipe",
    });
    version = JSON.parse(
      readFileSync(path.join(copy.dir, "apps/api/package.json"), "utf8"),
    ).version;
    commit = copy.commit("Version Packages");
    tag = commit.slice(0, 12);
  });

  afterAll(async () => {
    await removeAllContainers();
    if (copy) {
      const images = await docker([
        "images",
        "-q",
        "--filter",
        `label=deploy-kit.project=${copy.project}`,
      ]);
      const ids = [...new Set(images.split("\n").filter(Boolean))];
      if (ids.length) await docker(["image", "rm", "-f", ...ids]).catch(() => undefined);
      copy.remove();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const imageGone = async (ref: string) =>
    docker(["image", "inspect", ref]).then(
      () => false,
      () => true,
    );

  // What the build job reports (its outputs archive-sha256 and image-id).
  let sha256 = "";
  let imageId = "";

  it("build --archive saves the image to a file and prints its size, SHA-256 and image id", async () => {
    const outputs = path.join(dir, "github-output");
    writeFileSync(outputs, "");
    const run = await deployKit(copy.dir, ["build", "api", "--archive", archive], {
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: outputs,
    });
    expect(run.stderr).not.toMatch(/✗/);
    expect(run.code).toBe(0);
    expect(run.json.apps[0]).toMatchObject({ app: "api", image: `${copy.project}/api:${tag}` });
    sha256 = createHash("sha256").update(readFileSync(archive)).digest("hex");
    imageId = await docker(["image", "inspect", "-f", "{{.Id}}", `${copy.project}/api:${tag}`]);
    expect(run.json.archive).toEqual({
      file: archive,
      sizeBytes: statSync(archive).size,
      images: [`${copy.project}/api:${tag}`],
      sha256,
      imageIds: [imageId],
    });
    expect(readFileSync(outputs, "utf8")).toBe(`archive-sha256=${sha256}\nimage-id=${imageId}\n`);
    expect(run.json.archive.sizeBytes).toBeGreaterThan(1_000_000);
    expect(run.stderr).toMatch(
      new RegExp(`✓ save ${copy.project}/api:${tag} → ${archive}: \\d+\\.\\d MB`),
    );
  }, 600_000);

  it("push --archive pushes the image from the archive once the engine no longer has it", async () => {
    await docker(["image", "rm", "-f", `${copy.project}/api:${tag}`]);
    expect(await imageGone(`${copy.project}/api:${tag}`)).toBe(true);

    // As deploy.yml runs it: checked against the build's SHA-256 and, after the load, image id.
    const run = await deployKit(copy.dir, [
      "push",
      "api",
      "--archive",
      archive,
      "--archive-sha256",
      sha256,
      "--image-id",
      imageId,
    ]);
    expect(run.stderr).not.toMatch(/✗/);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/✓ check the SHA-256 of .*: matches the build/);
    expect(run.stderr).toMatch(new RegExp(`✓ load ${archive}: ${copy.project}/api:${tag}`));
    const [api] = run.json.apps;
    expect(api.ref).toBe(`${REGISTRY}/${copy.project}/api:${tag}`);
    expect(api.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registryDigest(REGISTRY, `${copy.project}/api`, tag)).toBe(api.digest);
  });

  it("the registry's image reports the version changesets gave the app and the commit", async () => {
    const ref = `${REGISTRY}/${copy.project}/api:${tag}`;
    // Nothing local: `docker run` pulls what the registry holds.
    const id = await docker(["image", "inspect", "-f", "{{.Id}}", ref]);
    await docker(["image", "rm", "-f", id]);
    expect(await imageGone(ref)).toBe(true);

    const container = await runContainer({ image: ref });
    await waitForHttp(`${container.url}/healthz`, 30_000);
    const info = await (await fetch(`${container.url}/v1/info`)).json();
    // The bump is real: the template's own version is an older one.
    const template = JSON.parse(readFileSync(path.join(repoRoot, "apps/api/package.json"), "utf8"));
    expect(version).not.toBe(template.version);
    expect(info).toMatchObject({ name: "api", version, commit });
  });

  it("refuses the archive at a later commit that changed the app: exit 1, and how to make the right one", async () => {
    copy.append("apps/api/src/app.ts", "\n// a later change\n");
    const later = copy.commit("api: a later change").slice(0, 12);
    const run = await deployKit(copy.dir, ["push", "api", "--archive", archive]);
    expect(run.code).toBe(1);
    expect(run.json.error.message).toBe(
      `The archive ${archive} holds api built from ${tag}, not from this revision (${later}), and its inputs changed since.`,
    );
    expect(run.json.error.hint).toContain(`deploy-kit build api --archive ${archive}`);
    expect(run.stderr).not.toMatch(/→ push/);
  });

  it("refuses an archive that holds another app's image", async () => {
    const run = await deployKit(copy.dir, ["push", "web", "--archive", archive]);
    expect(run.code).toBe(1);
    expect(run.json.error.message).toBe(`The archive ${archive} holds no image of web.`);
    expect(run.json.error.details).toEqual([`it holds: ${copy.project}/api:${tag}`]);
  });

  it("a missing archive: exit 2 before anything changes", async () => {
    const missing = path.join(dir, "missing.tar");
    expect(existsSync(missing)).toBe(false);
    const run = await deployKit(copy.dir, ["deploy", "api", "--archive", missing]);
    expect(run.code).toBe(2);
    expect(run.json.error.message).toBe(`The image archive ${missing} does not exist.`);
  });
});

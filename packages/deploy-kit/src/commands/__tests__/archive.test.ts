import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandContext } from "../../cli/main.js";
import { parseArgv } from "../../cli/parse.js";
import type { Docker, ImageInfo } from "../../docker/docker.js";
import { DeployError } from "../../errors.js";
import { memoryReporter } from "../../output.js";
import type { Project } from "../../project.js";
import { loadArchive, saveArchive } from "../archive.js";

const REV = { commit: `b${"1".repeat(39)}`, tag: `b${"1".repeat(11)}`, dirty: false };
const OLD_TAG = `a${"0".repeat(11)}`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "deploy-kit-archive-"));
  writeFileSync(path.join(dir, "api.tar"), "an archive");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(
  argv: string[],
  env: Record<string, string | undefined> = {},
): CommandContext & { reporter: { lines: string[] } } {
  const parsed = parseArgv(argv);
  if (parsed.kind !== "run") throw new Error("not a command line");
  return {
    cwd: dir,
    apps: parsed.apps,
    options: parsed.options,
    reporter: memoryReporter(),
    signal: new AbortController().signal,
    env,
  };
}

const project = {
  name: "shop",
  root: "/repo",
  apps: [{ name: "api", packageName: "@repo/api" }],
} as unknown as Project;

function image(id: string, labels: Record<string, string>): ImageInfo {
  return {
    id: `sha256:${id.repeat(64).slice(0, 64)}`,
    size: 1,
    created: "",
    labels,
    repoTags: [],
    repoDigests: [],
  };
}

/** A Docker engine whose archive holds `images` (by the name `docker load` prints). */
function fakeDocker(images: Record<string, ImageInfo>) {
  const calls: string[] = [];
  const docker = {
    save: async (refs: string[], file: string) => {
      calls.push(`save ${refs.join(" ")} ${file}`);
      writeFileSync(file, "x".repeat(2_500_000));
    },
    load: async (file: string) => {
      calls.push(`load ${file}`);
      return Object.keys(images);
    },
    imageInspect: async (ref: string) => images[ref],
    tag: async (source: string, target: string) => {
      calls.push(`tag ${source.slice(0, 14)} ${target}`);
    },
  } as unknown as Docker;
  return { docker, calls };
}

const labels = (app: string, tag: string, inputs = "inputs-1") => ({
  "deploy-kit.project": "shop",
  "deploy-kit.app": app,
  "deploy-kit.tag": tag,
  "deploy-kit.inputs": inputs,
});

const sha256 = (file: string) =>
  createHash("sha256")
    .update(readFileSync(path.join(dir, file)))
    .digest("hex");

describe("saveArchive", () => {
  const built = { [`shop/api:${REV.tag}`]: image("a", labels("api", REV.tag)) };

  it("saves the built images to the file and prints its size, SHA-256 and image ids", async () => {
    const ctx = context(["build", "api", "--archive", "out.tar"]);
    const { docker, calls } = fakeDocker(built);
    const saved = await saveArchive(ctx, docker, [`shop/api:${REV.tag}`]);
    expect(calls).toEqual([`save shop/api:${REV.tag} ${path.join(dir, "out.tar")}`]);
    expect(saved).toEqual({
      file: path.join(dir, "out.tar"),
      sizeBytes: 2_500_000,
      images: [`shop/api:${REV.tag}`],
      sha256: sha256("out.tar"),
      imageIds: [`sha256:${"a".repeat(64)}`],
    });
    expect(ctx.reporter.lines).toContain(`archive: ${path.join(dir, "out.tar")} 2.5 MB`);
    expect(ctx.reporter.lines).toContain(`archive-sha256: ${sha256("out.tar")}`);
    expect(ctx.reporter.lines).toContain(`image-id: sha256:${"a".repeat(64)}`);
  });

  it("in GitHub Actions, the SHA-256 and the image id are the step's outputs", async () => {
    const outputs = path.join(dir, "github-output");
    writeFileSync(outputs, "");
    const ctx = context(["build", "api", "--archive", "ci.tar"], {
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: outputs,
    });
    await saveArchive(ctx, fakeDocker(built).docker, [`shop/api:${REV.tag}`]);
    expect(readFileSync(outputs, "utf8")).toBe(
      `archive-sha256=${sha256("ci.tar")}\nimage-id=sha256:${"a".repeat(64)}\n`,
    );
  });

  it("saves nothing in a dry run", async () => {
    const ctx = context(["build", "api", "--archive", "dry.tar", "--dry-run"]);
    const { docker, calls } = fakeDocker({});
    expect((await saveArchive(ctx, docker, ["shop/api:x"])).sizeBytes).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe("loadArchive", () => {
  it("takes this revision's image of the app from the archive", async () => {
    const ctx = context(["push", "api", "--archive", "api.tar"]);
    const { docker, calls } = fakeDocker({
      [`shop/api:${REV.tag}`]: image("a", labels("api", REV.tag)),
    });
    const [loaded] = await loadArchive(ctx, project, docker, REV);
    expect(calls).toEqual([`load ${path.join(dir, "api.tar")}`]);
    expect(loaded).toEqual({
      app: "api",
      image: `shop/api:${REV.tag}`,
      imageId: `sha256:${"a".repeat(64)}`,
      commit: REV.commit,
      tag: REV.tag,
      archive: path.join(dir, "api.tar"),
    });
  });

  it("accepts an image reused from unchanged inputs, which keeps the tag label of its first build", async () => {
    const ctx = context(["push", "api", "--archive", "api.tar"]);
    const { docker, calls } = fakeDocker({
      [`shop/api:${OLD_TAG}`]: image("c", labels("api", OLD_TAG, "inputs-now")),
    });
    const [loaded] = await loadArchive(ctx, project, docker, REV, {
      inputsOf: async () => "inputs-now",
    });
    expect(loaded?.builtAs).toBe(OLD_TAG);
    expect(calls).toContain(`tag sha256:ccccccc shop/api:${REV.tag}`);
  });

  it("refuses an image of another revision whose inputs changed", async () => {
    const ctx = context(["deploy", "api", "--archive", "api.tar"]);
    const { docker } = fakeDocker({
      [`shop/api:${OLD_TAG}`]: image("d", labels("api", OLD_TAG, "inputs-then")),
    });
    const load = loadArchive(ctx, project, docker, REV, { inputsOf: async () => "inputs-now" });
    await expect(load).rejects.toThrow(DeployError);
    await expect(load).rejects.toThrow(
      `The archive api.tar holds api built from ${OLD_TAG}, not from this revision (${REV.tag}), and its inputs changed since.`,
    );
    await expect(load).rejects.toMatchObject({ hint: expect.stringMatching(/--archive api.tar/) });
  });

  it("refuses an archive of another app, naming what it holds", async () => {
    const ctx = context(["push", "api", "--archive", "api.tar"]);
    const { docker } = fakeDocker({
      [`shop/web:${REV.tag}`]: image("e", labels("web", REV.tag)),
    });
    const load = loadArchive(ctx, project, docker, REV);
    await expect(load).rejects.toThrow("The archive api.tar holds no image of api.");
    await expect(load).rejects.toMatchObject({ details: [`it holds: shop/web:${REV.tag}`] });
  });

  it("refuses an image of another project of the same name", async () => {
    const ctx = context(["push", "api", "--archive", "api.tar"]);
    const { docker } = fakeDocker({
      [`other/api:${REV.tag}`]: image("f", {
        ...labels("api", REV.tag),
        "deploy-kit.project": "other",
      }),
    });
    await expect(loadArchive(ctx, project, docker, REV)).rejects.toThrow(/holds no image of api/);
  });

  it("a missing archive is a usage error (exit 2) that says how to make one", async () => {
    const ctx = context(["push", "api", "--archive", "nope.tar"]);
    const { docker, calls } = fakeDocker({});
    const load = loadArchive(ctx, project, docker, REV);
    await expect(load).rejects.toMatchObject({
      message: "The image archive nope.tar does not exist.",
      exitCode: 2,
      hint: "Make it with `deploy-kit build api --archive nope.tar`.",
    });
    expect(calls).toEqual([]);
  });

  describe("against what the build job made (--archive-sha256, --image-id)", () => {
    const API = { [`shop/api:${REV.tag}`]: image("a", labels("api", REV.tag)) };
    // The SHA-256 the build reported for api.tar ("BUILT" in a table: the file is made in beforeAll).
    let built = "";
    beforeAll(() => {
      built = sha256("api.tar");
    });
    const id = `sha256:${"a".repeat(64)}`;

    it("loads an archive whose SHA-256 and image id are the build's", async () => {
      const ctx = context([
        "deploy",
        "api",
        ...["--archive", "api.tar", "--archive-sha256", built, "--image-id", id],
      ]);
      const { docker, calls } = fakeDocker(API);
      const [loaded] = await loadArchive(ctx, project, docker, REV);
      expect(loaded?.imageId).toBe(id);
      expect(calls).toEqual([`load ${path.join(dir, "api.tar")}`]);
    });

    it("refuses a corrupted archive (exit 1) before any docker load", async () => {
      const original = readFileSync(path.join(dir, "api.tar"));
      const corrupted = Buffer.from(original);
      corrupted[3] = (corrupted[3] as number) ^ 0x01;
      writeFileSync(path.join(dir, "corrupted.tar"), corrupted);
      const ctx = context([
        "deploy",
        "api",
        ...["--archive", "corrupted.tar", "--archive-sha256", built, "--image-id", id],
      ]);
      const { docker, calls } = fakeDocker(API);
      const load = loadArchive(ctx, project, docker, REV);
      await expect(load).rejects.toMatchObject({
        name: "DeployError",
        exitCode: 1,
        code: "archive_mismatch",
        message: `The archive corrupted.tar is not the one the build job made: its SHA-256 is ${sha256("corrupted.tar")}, and --archive-sha256 expects ${built}. It was not loaded.`,
      });
      expect(calls).toEqual([]);
    });

    it("refuses (exit 1) an archive whose image is not the build's, after the load and before any tag", async () => {
      const other = `sha256:${"9".repeat(64)}`;
      const ctx = context([
        "push",
        "api",
        ...["--archive", "api.tar", "--archive-sha256", built, "--image-id", other],
      ]);
      const { docker, calls } = fakeDocker(API);
      const load = loadArchive(ctx, project, docker, REV);
      await expect(load).rejects.toMatchObject({
        exitCode: 1,
        code: "image_mismatch",
        message: `The archive api.tar holds api as the image ${id}, not the image the build job made (--image-id ${other}). It was loaded, and is neither tagged, pushed nor released.`,
      });
      expect(calls).toEqual([`load ${path.join(dir, "api.tar")}`]);
    });

    it.each([
      [["--archive-sha256", "BUILT"], "--image-id"],
      [["--image-id", id], "--archive-sha256"],
      [[], "--archive-sha256 and --image-id"],
    ])(
      "in GitHub Actions, --archive with %j also needs %s (exit 2, nothing loaded)",
      async (flags, missing) => {
        const given = flags.map((flag) => (flag === "BUILT" ? built : flag));
        const ctx = context(["release", "api", "--archive", "api.tar", ...given], {
          GITHUB_ACTIONS: "true",
        });
        const { docker, calls } = fakeDocker(API);
        const load = loadArchive(ctx, project, docker, REV);
        await expect(load).rejects.toMatchObject({
          name: "UsageError",
          exitCode: 2,
          message: expect.stringContaining(
            `In GitHub Actions, --archive api.tar needs ${missing}:`,
          ),
        });
        expect(calls).toEqual([]);
      },
    );
  });

  it("loads nothing in a dry run", async () => {
    const ctx = context(["deploy", "api", "--archive", "api.tar", "--dry-run"]);
    const { docker, calls } = fakeDocker({});
    const [loaded] = await loadArchive(ctx, project, docker, REV);
    expect(loaded?.image).toBe(`shop/api:${REV.tag}`);
    expect(calls).toEqual([]);
  });
});

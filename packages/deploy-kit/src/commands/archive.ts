import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { CommandContext } from "../cli/main.js";
import type { Docker, ImageInfo } from "../docker/docker.js";
import { DeployError, EXIT, UsageError } from "../errors.js";
import type { Revision } from "../git.js";
import { GitHubActions } from "../github.js";
import { inputsHash } from "../inputs.js";
import { mb, shortId } from "../output.js";
import { imageRef, LABEL, type Project } from "../project.js";

// Build once, promote the same image: CI's build job saves the images to an archive (`build
// --archive`), and each environment's job loads that archive (`push|release|deploy --archive`)
// instead of building again, so every environment runs the very image that was tested.
//
// The archive travels between jobs as an artifact, which the labels inside it cannot vouch for:
// anything that can replace the artifact can write the same labels. So the build job is the
// trust anchor: it reports the archive's SHA-256 and the image ids as its outputs, and the jobs
// that load it check the file's hash before `docker load` (nothing from a changed file reaches
// the engine) and the loaded image's id after it (`--archive-sha256`, `--image-id`).

export interface SavedArchive {
  file: string;
  sizeBytes: number;
  images: string[];
  /** The file's SHA-256 (64 hex digits); undefined in a dry run. */
  sha256?: string;
  /** The saved images' ids (`sha256:...`), in the order of `images`; undefined in a dry run. */
  imageIds?: string[];
}

/** The SHA-256 of a file, in hex, read as a stream (an image archive is hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** An app's image taken from an archive, named as a build of this revision would name it. */
export interface LoadedImage {
  app: string;
  image: string;
  imageId: string;
  commit: string;
  tag: string;
  archive: string;
  /** The revision tag of the build that made the image, when another revision made it. */
  builtAs?: string;
}

/** The archive's path: relative to where the command runs, like any file argument. */
export function archivePath(context: Pick<CommandContext, "cwd" | "options">): string {
  return path.resolve(context.cwd, context.options.archive ?? "");
}

/**
 * `docker save` of the built images to the archive; prints its size, its SHA-256 and the image
 * ids, which are also the step outputs `archive-sha256` and `image-id` in GitHub Actions (the
 * build job passes them on to the jobs that load the archive).
 */
export async function saveArchive(
  context: CommandContext,
  docker: Docker,
  images: string[],
): Promise<SavedArchive> {
  const file = archivePath(context);
  const done = context.reporter.step(`save ${images.join(", ")} → ${file}`);
  if (context.options.dryRun) {
    done("dry run: not saved");
    return { file, sizeBytes: 0, images };
  }
  await docker.save(images, file);
  const sizeBytes = statSync(file).size;
  const sha256 = await sha256File(file);
  const imageIds: string[] = [];
  for (const image of images) {
    const info = await docker.imageInspect(image);
    if (!info) {
      throw new DeployError(`The image ${image} was saved, but the engine no longer has it.`, {
        hint: "Build again; if it happens again, check what removes images while deploy-kit runs.",
      });
    }
    imageIds.push(info.id);
  }
  done(mb(sizeBytes));
  context.reporter.result(`archive: ${file} ${mb(sizeBytes)}`);
  context.reporter.result(`archive-sha256: ${sha256}`);
  context.reporter.result(`image-id: ${imageIds.join(",")}`);
  const github = new GitHubActions(context.env);
  github.output("archive-sha256", sha256);
  github.output("image-id", imageIds.join(","));
  return { file, sizeBytes, images, sha256, imageIds };
}

/**
 * In GitHub Actions an archive is loaded only against what the build job reported: both checks
 * are required there, so a workflow cannot drop them by accident. By hand they are optional.
 */
function requireChecksInCi(context: CommandContext, shown: string): void {
  if (context.env.GITHUB_ACTIONS !== "true") return;
  const missing = [
    context.options.archiveSha256 === undefined ? "--archive-sha256" : undefined,
    context.options.imageIds === undefined ? "--image-id" : undefined,
  ].filter((flag) => flag !== undefined);
  if (!missing.length) return;
  throw new UsageError(
    `In GitHub Actions, --archive ${shown} needs ${missing.join(" and ")}: the archive is checked against what the build job made. Pass its outputs, e.g. \`--archive-sha256 "\${{ needs.build.outputs.archive-sha256 }}" --image-id "\${{ needs.build.outputs.image-id }}"\` (build.yml's outputs, from \`deploy-kit build --archive\`).`,
  );
}

/** Refuses an archive whose bytes are not the ones the build job saved; before `docker load`. */
async function checkArchiveHash(context: CommandContext, file: string, shown: string) {
  const expected = context.options.archiveSha256;
  if (expected === undefined) return;
  const done = context.reporter.step(`check the SHA-256 of ${shown}`);
  const actual = await sha256File(file);
  if (actual !== expected) {
    done("mismatch");
    throw new DeployError(
      `The archive ${shown} is not the one the build job made: its SHA-256 is ${actual}, and --archive-sha256 expects ${expected}. It was not loaded.`,
      {
        hint: "The file changed or was replaced after the build (a corrupted download, or another artifact of the same name). Run the workflow again to build a new archive; by hand, `deploy-kit build <app> --archive <file>` prints the SHA-256 to pass.",
        code: "archive_mismatch",
      },
    );
  }
  done("matches the build");
}

export interface LoadDeps {
  /** turbo's hash of an app's build inputs; injectable for tests. */
  inputsOf?: (root: string, packageName: string) => Promise<string | undefined>;
}

/**
 * `docker load` of the archive, then checks that it holds, for each app of the command, that
 * app's image for the current revision, and tags it `<project>/<app>:<tag>` as a build would.
 *
 * An image belongs to this revision when its `deploy-kit.tag` label is the revision's tag, or when
 * it was built from the same inputs (its `deploy-kit.inputs` label is turbo's hash of the app's
 * build inputs now): `build` reuses an image of unchanged inputs under the new tag, and that image
 * keeps the labels of the build that made it. Anything else fails before a push or release.
 */
export async function loadArchive(
  context: CommandContext,
  project: Project,
  docker: Docker,
  rev: Revision,
  deps: LoadDeps = {},
): Promise<LoadedImage[]> {
  const file = archivePath(context);
  const shown = context.options.archive ?? file;
  requireChecksInCi(context, shown);
  if (!existsSync(file)) {
    throw new DeployError(`The image archive ${shown} does not exist.`, {
      hint: `Make it with \`deploy-kit build ${project.apps.map((app) => app.name).join(" ")} --archive ${shown}\`.`,
      exitCode: EXIT.usage,
    });
  }
  await checkArchiveHash(context, file, shown);
  const done = context.reporter.step(`load ${file}`);
  if (context.options.dryRun) {
    // Loading changes the engine's images: a dry run only names what it would take.
    done("dry run: not loaded");
    return project.apps.map((app) => ({
      app: app.name,
      image: imageRef(project, app.name, rev.tag),
      imageId: "",
      commit: rev.commit,
      tag: rev.tag,
      archive: file,
    }));
  }
  const refs = await docker.load(file);
  const images: Array<{ ref: string; info: ImageInfo }> = [];
  for (const ref of refs) {
    const info = await docker.imageInspect(ref);
    if (info) images.push({ ref, info });
  }
  done(refs.join(", ") || "nothing");

  const inputsOf = deps.inputsOf ?? inputsHash;
  const loaded: LoadedImage[] = [];
  for (const app of project.apps) {
    const mine = images.filter(
      ({ info }) =>
        info.labels[LABEL.app] === app.name && info.labels[LABEL.project] === project.name,
    );
    if (!mine.length) {
      throw new DeployError(`The archive ${shown} holds no image of ${app.name}.`, {
        details: [`it holds: ${refs.join(", ") || "no image"}`],
        hint: `Make it with \`deploy-kit build ${app.name} --archive ${shown}\` in this repository.`,
      });
    }
    let match = mine.find(({ info }) => info.labels[LABEL.tag] === rev.tag);
    let builtAs: string | undefined;
    if (!match) {
      const inputs = await inputsOf(project.root, app.packageName);
      match = inputs ? mine.find(({ info }) => info.labels[LABEL.inputs] === inputs) : undefined;
      builtAs = match?.info.labels[LABEL.tag];
    }
    if (!match) {
      const other = mine[0] as (typeof mine)[number];
      throw new DeployError(
        `The archive ${shown} holds ${app.name} built from ${other.info.labels[LABEL.tag] ?? "an unknown revision"}, not from this revision (${rev.tag}), and its inputs changed since.`,
        {
          details: [`image: ${other.ref} (${shortId(other.info.id)})`],
          hint: `Check out the commit the archive was built from, or build it from this one: \`deploy-kit build ${app.name} --archive ${shown}\`.`,
        },
      );
    }
    const expectedIds = context.options.imageIds;
    if (expectedIds && !expectedIds.includes(match.info.id)) {
      throw new DeployError(
        `The archive ${shown} holds ${app.name} as the image ${match.info.id}, not the image the build job made (--image-id ${expectedIds.join(",")}). It was loaded, and is neither tagged, pushed nor released.`,
        {
          details: [`image: ${match.ref}`],
          hint: "The archive's contents differ from the build's although its file may not: run the workflow again to build a new archive, and check that the job passes the build job's own image-id output.",
          code: "image_mismatch",
        },
      );
    }
    const image = imageRef(project, app.name, rev.tag);
    if (match.ref !== image) await docker.tag(match.info.id, image);
    loaded.push({
      app: app.name,
      image,
      imageId: match.info.id,
      commit: rev.commit,
      tag: rev.tag,
      archive: file,
      ...(builtAs && builtAs !== rev.tag ? { builtAs } : {}),
    });
  }
  for (const l of loaded) {
    context.reporter.result(
      `${l.app}: ${l.image} ${shortId(l.imageId)} from ${path.basename(file)}${l.builtAs ? ` (built as ${l.builtAs}, same inputs)` : ""}`,
    );
  }
  return loaded;
}

import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { CommandContext } from "../cli/main.js";
import type { Docker, ImageInfo } from "../docker/docker.js";
import { DeployError, EXIT } from "../errors.js";
import type { Revision } from "../git.js";
import { inputsHash } from "../inputs.js";
import { mb, shortId } from "../output.js";
import { imageRef, LABEL, type Project } from "../project.js";

// Build once, promote the same image: CI's build job saves the images to an archive (`build
// --archive`), and each environment's job loads that archive (`push|release|deploy --archive`)
// instead of building again, so every environment runs the very image that was tested.

export interface SavedArchive {
  file: string;
  sizeBytes: number;
  images: string[];
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

/** `docker save` of the built images to the archive; prints its size. */
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
  done(mb(sizeBytes));
  context.reporter.result(`archive: ${file} ${mb(sizeBytes)}`);
  return { file, sizeBytes, images };
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
  if (!existsSync(file)) {
    throw new DeployError(`The image archive ${shown} does not exist.`, {
      hint: `Make it with \`deploy-kit build ${project.apps.map((app) => app.name).join(" ")} --archive ${shown}\`.`,
      exitCode: EXIT.usage,
    });
  }
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

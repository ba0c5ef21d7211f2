import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";

export const COMMANDS = [
  "build",
  "push",
  "release",
  "deploy",
  "status",
  "rollback",
  "releases",
  "diagnose",
  "reconcile",
  "down",
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** The commands that make (build) or take (the others) an image archive. */
const ARCHIVE_COMMANDS: readonly string[] = ["build", "push", "release", "deploy"];
/** The commands that take an archive, and so may check it against what the build made. */
export const LOAD_COMMANDS: readonly string[] = ["push", "release", "deploy"];

export interface GlobalOptions {
  env: string;
  json: boolean;
  dryRun: boolean;
  allowDirty: boolean;
  /** false with --no-wait: return once the release has started. */
  wait: boolean;
  /** Milliseconds; undefined = the environment's default. */
  timeoutMs: number | undefined;
  /** rollback: a commit (prefix) or release id. */
  to: string | undefined;
  /** Another platform config file than the repository's platform.config.json. */
  configFile: string | undefined;
  /**
   * build: also save the images to this file (`docker save`); push, release, deploy: load the
   * images from it instead of building them (`docker load`). How CI builds once and promotes.
   */
  archive: string | undefined;
  /**
   * With --archive (push, release, deploy): the SHA-256 (64 hex digits) the archive must have,
   * as `build --archive` reported it; checked before `docker load`. Required in GitHub Actions.
   */
  archiveSha256: string | undefined;
  /**
   * With --archive: the image id(s) (`sha256:...`, comma-separated for several apps) the
   * archive must hold, as `build --archive` reported them; checked after `docker load`.
   */
  imageIds: string[] | undefined;
}

export type Parsed =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "run"; command: CommandName; apps: string[]; options: GlobalOptions };

export const HELP = `deploy-kit: build, push and release each app of the platform, under its own subdomain

Usage: deploy-kit <command> [app...] [options]

Commands:
  build [app...]          build each app's image from the repository root (tag: the git commit)
  push [app...]           push the images to the environment's registry
  release [app...]        release the built images to the environment
  deploy [app...]         build, push and release
  status [app...]         what runs where: image, commit, health, URL, since when
  rollback <app>          release the previous release again (or --to <commit|release>)
  releases <app>          the releases rollback can go back to (commit, image, revision, when)
  diagnose <app>          why the app's service is failing: tasks, events, health, logs, hints
  reconcile [app...]      record the image that runs (after --no-wait, a timeout or Ctrl-C);
                          waits for a deployment in progress first (aws; CI runs it before cdk deploy)
  down                    remove every container and network deploy-kit made (local only)

With no app, commands act on every app; run inside apps/<name>, on that app.

Options:
  -e, --env <name>        environment: local (built in) or one from platform.config.json [local]
      --allow-dirty       build from uncommitted changes (the tag gets a -dirty-<hash> suffix)
      --dry-run           show what would happen and change nothing
      --json              print one machine-readable result on stdout
      --timeout <time>    how long a release may take, e.g. 90s or 15m [local 2m, aws 15m]
      --no-wait           return once the release has started (aws); reconcile: do not wait
      --to <ref>          rollback target: a commit (or its prefix) or a release id
      --config <file>     platform config file [<repository root>/platform.config.json]
      --archive <file>    build: also save the image to <file>; push, release, deploy: take
                          the image from <file> (made by build --archive) instead of building
      --archive-sha256 <hex>  with --archive: refuse the archive unless its SHA-256 is <hex>
                          (checked before docker load; build --archive prints it)
      --image-id <id>     with --archive: refuse the loaded image unless its id is <id>
                          (sha256:..., comma-separated for several apps; build --archive prints it)
                          In GitHub Actions push, release and deploy need both with --archive.
  -h, --help              this help
      --version           deploy-kit's version

Exit codes: 0 ok, 1 failed, 2 usage or config error, 130 interrupted.`;

/** "90s", "15m", "1h", "500ms" or plain seconds, to milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) {
    throw new UsageError(
      `--timeout "${value}" is not a duration. Use a number with s, m or h, e.g. 90s or 15m.`,
    );
  }
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[
    (match[2] ?? "s") as "ms" | "s" | "m" | "h"
  ];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new UsageError(`--timeout must be above zero (got "${value}").`);
  return ms;
}

/** argv (without node and the script) to what to run. Throws UsageError with the fix. */
export function parseArgv(argv: readonly string[]): Parsed {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    // node:util's messages name the option; add where to look.
    throw new UsageError(`${(err as Error).message}. Run \`deploy-kit --help\` for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.version) return { kind: "version" };
  const [command, ...apps] = positionals;
  if (values.help || command === undefined || command === "help")
    return { kind: "help", text: HELP };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(
      `Unknown command "${command}". Commands: ${COMMANDS.join(", ")}. Run \`deploy-kit --help\`.`,
    );
  }
  const options: GlobalOptions = {
    env: values.env ?? "local",
    json: values.json ?? false,
    dryRun: values["dry-run"] ?? false,
    allowDirty: values["allow-dirty"] ?? false,
    wait: !(values["no-wait"] ?? false),
    timeoutMs: values.timeout === undefined ? undefined : parseDuration(values.timeout),
    to: values.to,
    configFile: values.config,
    archive: values.archive,
    archiveSha256: values["archive-sha256"]?.toLowerCase(),
    imageIds: values["image-id"]?.split(",").map((id) => id.trim().toLowerCase()),
  };
  if (
    (command === "rollback" || command === "releases" || command === "diagnose") &&
    apps.length !== 1
  ) {
    throw new UsageError(
      `${command} takes exactly one app (got ${apps.length ? apps.join(" ") : "none"}), e.g. \`deploy-kit ${command} api --env prod\`.`,
    );
  }
  if (command !== "rollback" && options.to !== undefined) {
    throw new UsageError(`--to only applies to rollback (got it with ${command}).`);
  }
  if (options.archive !== undefined && !ARCHIVE_COMMANDS.includes(command)) {
    throw new UsageError(
      `--archive only applies to ${ARCHIVE_COMMANDS.join(", ")} (got it with ${command}).`,
    );
  }
  if (options.archive === "") {
    throw new UsageError("--archive needs a file name, e.g. `--archive api.tar`.");
  }
  for (const [flag, given] of [
    ["--archive-sha256", options.archiveSha256],
    ["--image-id", options.imageIds],
  ] as const) {
    if (given === undefined) continue;
    if (!LOAD_COMMANDS.includes(command)) {
      throw new UsageError(
        `${flag} only applies to ${LOAD_COMMANDS.join(", ")} with --archive (got it with ${command}).`,
      );
    }
    if (options.archive === undefined) {
      throw new UsageError(
        `${flag} checks an image archive: give the archive too, e.g. \`deploy-kit ${command} api --archive image.tar ${flag} ...\`.`,
      );
    }
  }
  if (options.archiveSha256 !== undefined && !/^[0-9a-f]{64}$/.test(options.archiveSha256)) {
    throw new UsageError(
      `--archive-sha256 "${options.archiveSha256}" is not a SHA-256: give the 64 hex digits \`build --archive\` printed (its archive-sha256 output), as \`sha256sum\` prints them.`,
    );
  }
  const badId = options.imageIds?.find((id) => !/^sha256:[0-9a-f]{64}$/.test(id));
  if (badId !== undefined) {
    throw new UsageError(
      `--image-id "${badId}" is not an image id: give the sha256:<64 hex digits> id \`build --archive\` printed (its image-id output), as \`docker image inspect --format {{.Id}}\` prints it.`,
    );
  }
  if (command === "down" && apps.length > 0) {
    throw new UsageError(
      `down takes no app: it removes the whole local environment (got ${apps.join(" ")}).`,
    );
  }
  return { kind: "run", command: command as CommandName, apps, options };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      env: { type: "string", short: "e" },
      json: { type: "boolean" },
      "dry-run": { type: "boolean" },
      "allow-dirty": { type: "boolean" },
      "no-wait": { type: "boolean" },
      timeout: { type: "string" },
      to: { type: "string" },
      config: { type: "string" },
      archive: { type: "string" },
      "archive-sha256": { type: "string" },
      "image-id": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}

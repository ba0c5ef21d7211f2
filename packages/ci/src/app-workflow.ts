// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ ... }} here is GitHub Actions expressions, written as they are
import { comment, GENERATED_MARKER, list, q, WORKFLOWS_DIR } from "./template.js";
import { dependenciesOf, findWorkspace, type WorkspaceGraph } from "./workspace-graph.js";

/**
 * Root files that change every app's image or deploy: the manifests and lockfile the image's
 * `npm ci` reads, turbo's config and Node version (global inputs of every build), what enters
 * the build context, and the platform config every release reads.
 */
export const ROOT_TRIGGER_FILES = [
  "package.json",
  "package-lock.json",
  "turbo.json",
  ".nvmrc",
  ".dockerignore",
  "platform.config.json",
] as const;

/** The hand-written reusable workflows every app's pipeline calls. */
export const REUSABLE_WORKFLOWS = {
  build: `${WORKFLOWS_DIR}/build.yml`,
  deploy: `${WORKFLOWS_DIR}/deploy.yml`,
} as const;

/** `.github/workflows/deploy-<app>.yml` */
export function appWorkflowFile(app: string): string {
  return `${WORKFLOWS_DIR}/deploy-${app}.yml`;
}

/** The app of a `deploy-<app>.yml` file name, or undefined for any other file. */
export function appOfWorkflowFile(fileName: string): string | undefined {
  return /^deploy-(.+)\.ya?ml$/.exec(fileName)?.[1];
}

export interface AppWorkflowInput {
  /** The app's name (its folder under apps/). */
  app: string;
  /** Its workspace package, e.g. `@repo/api`. */
  packageName: string;
  /** Its folder relative to the repository root, e.g. `apps/api`. */
  dir: string;
  /** The folders of every workspace it depends on, directly or not, sorted. */
  dependencyDirs: string[];
  /** The AWS environments in promotion order (their order in platform.config.json). */
  environments: string[];
}

/** What an app's pipeline needs to know, from the workspace graph and the platform config. */
export function appWorkflowInput(
  graph: WorkspaceGraph,
  app: { name: string; packageName: string; dir: string },
  environments: string[],
): AppWorkflowInput {
  const workspace = findWorkspace(graph, app.packageName);
  if (!workspace || workspace.dir !== app.dir) {
    throw new Error(
      `${app.dir}/package.json names "${app.packageName}", but no workspace of that name is in ${app.dir}: is apps/* in the root package.json's workspaces?`,
    );
  }
  return {
    app: app.name,
    packageName: app.packageName,
    dir: app.dir,
    dependencyDirs: dependenciesOf(graph, app.packageName).map((dependency) => dependency.dir),
    environments,
  };
}

/**
 * The paths whose change deploys the app: its folder, the folder of every workspace it depends
 * on, the root files every image or deploy reads, and the pipeline's own workflow files.
 */
export function appTriggerPaths(input: AppWorkflowInput): {
  workspaces: string[];
  root: string[];
  workflows: string[];
} {
  return {
    workspaces: [input.dir, ...input.dependencyDirs].map((dir) => `${dir}/**`),
    root: [...ROOT_TRIGGER_FILES],
    workflows: [appWorkflowFile(input.app), REUSABLE_WORKFLOWS.build, REUSABLE_WORKFLOWS.deploy],
  };
}

/** The whole `deploy-<app>.yml`: one template for every app. */
export function renderAppWorkflow(input: AppWorkflowInput): string {
  const { app, environments } = input;
  const paths = appTriggerPaths(input);
  const chain = environments.length
    ? `build its image once, then release that same image to ${environments.join(", then to ")}, each after the one before (each GitHub environment's approvals apply).`
    : "build its image (platform.config.json has no AWS environment to release it to yet).";
  const lines = [
    GENERATED_MARKER,
    ...comment(
      `The pipeline of ${app}: ${chain} It runs on pushes to main that change ${input.dir}, a workspace it depends on or a file every deploy reads (the paths below), and by hand: Actions, "deploy ${app}", Run workflow.`,
    ),
    `name: deploy ${app}`,
    "",
    "on:",
    "  push:",
    "    branches: [main]",
    "    paths:",
    "      # the app and every workspace it depends on",
    ...list(paths.workspaces, 6),
    "      # root files that change an image or a deploy",
    ...list(paths.root, 6),
    "      # this pipeline and the workflows it calls",
    ...list(paths.workflows, 6),
    "  workflow_dispatch:",
  ];
  if (environments.length) {
    lines.push(
      "    inputs:",
      "      environment:",
      "        description: Release up to this environment (through each one before it)",
      "        type: choice",
      `        options: [${environments.map(q).join(", ")}]`,
      `        default: ${q(environments[0] as string)}`,
    );
  }
  lines.push(
    "",
    "permissions:",
    "  contents: read",
    "",
    "jobs:",
    "  build:",
    "    name: build",
    `    uses: ./${REUSABLE_WORKFLOWS.build}`,
    "    with:",
    `      app: ${q(app)}`,
    // The image is built once and promoted, for the CPU architecture the app has in the first
    // environment (deploy.json "architecture"); a push to an environment that differs refuses it.
    ...(environments[0] ? [`      environment: ${q(environments[0])}`] : []),
  );
  let previous: string | undefined;
  environments.forEach((environment, index) => {
    const job = `deploy-${environment}`;
    // Every deploy job lists build: only a job that needs build sees its outputs, the archive's
    // SHA-256 and image id that deploy.yml checks the downloaded archive against.
    const needs = previous ? `[build, ${previous}]` : "build";
    lines.push("", `  ${job}:`, `    name: ${environment}`, `    needs: ${needs}`);
    if (index > 0) {
      // By hand, a run goes up to the chosen environment; on a push, through all of them.
      const reached = environments.slice(index).map(q).join(",");
      lines.push(
        `    if: github.event_name != 'workflow_dispatch' || contains(fromJSON('[${reached}]'), inputs.environment)`,
      );
    }
    lines.push(
      `    uses: ./${REUSABLE_WORKFLOWS.deploy}`,
      "    permissions:",
      "      contents: read",
      "      id-token: write",
      "    with:",
      `      app: ${q(app)}`,
      `      environment: ${q(environment)}`,
      "      archive-sha256: ${{ needs.build.outputs.archive-sha256 }}",
      "      image-id: ${{ needs.build.outputs.image-id }}",
    );
    previous = job;
  });
  return `${lines.join("\n")}\n`;
}

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadPlatform } from "@repo/platform-config/load";
import { awsEnvironmentNames } from "@repo/platform-config/resolve";
import {
  appOfWorkflowFile,
  appWorkflowFile,
  appWorkflowInput,
  renderAppWorkflow,
} from "./app-workflow.js";
import { INFRA_WORKFLOW_FILE, infraTriggerPaths, renderInfraWorkflow } from "./infra-workflow.js";
import { GENERATED_MARKER, WORKFLOWS_DIR } from "./template.js";
import { readWorkspaceGraph } from "./workspace-graph.js";

export interface GeneratedWorkflow {
  /** Relative to the repository root, e.g. `.github/workflows/deploy-api.yml`. */
  file: string;
  content: string;
  /** The app whose pipeline it is; undefined for infra.yml. */
  app?: string;
}

/**
 * Every generated workflow, from the workspace graph and the platform config: the pipeline of
 * each app with a deploy.json (`deploy-<app>.yml`), and infra.yml when there is a CDK app and an
 * AWS environment. `cwd` is the repository root or a folder inside it.
 */
export function generateWorkflows(cwd: string): { root: string; workflows: GeneratedWorkflow[] } {
  const loaded = loadPlatform({ cwd });
  const graph = readWorkspaceGraph(loaded.root);
  const environments = awsEnvironmentNames(loaded.platform);
  const workflows: GeneratedWorkflow[] = loaded.apps.map((app) => {
    const input = appWorkflowInput(
      graph,
      {
        name: app.name,
        packageName: app.packageName,
        dir: path.relative(loaded.root, app.dir).split(path.sep).join("/"),
      },
      environments,
    );
    return { app: app.name, file: appWorkflowFile(app.name), content: renderAppWorkflow(input) };
  });
  const infraPaths = infraTriggerPaths(graph);
  if (infraPaths && environments.length) {
    workflows.push({
      file: INFRA_WORKFLOW_FILE,
      content: renderInfraWorkflow(infraPaths, environments),
    });
  }
  return { root: loaded.root, workflows };
}

const isGenerated = (file: string) =>
  readFileSync(file, "utf8").startsWith(`${GENERATED_MARKER}\n`);

/** A workflow that should not be there, with what `npm run workflows` may do about it. */
interface StrayWorkflow {
  /** Relative to the repository root. */
  file: string;
  /** The app of a `deploy-<app>.yml`; undefined for infra.yml. */
  app?: string;
  /** Whether it carries the generator's marker: only then may `npm run workflows` remove it. */
  generated: boolean;
}

/**
 * Workflows that should not be there: `deploy-<app>.yml` of an app without a deploy.json, and a
 * generated infra.yml when there is nothing left to generate it for.
 */
function strayWorkflows(root: string, generated: GeneratedWorkflow[]): StrayWorkflow[] {
  const dir = path.join(root, WORKFLOWS_DIR);
  if (!existsSync(dir)) return [];
  const wanted = new Set(generated.map((workflow) => workflow.file));
  return readdirSync(dir)
    .sort()
    .map((name) => ({ file: `${WORKFLOWS_DIR}/${name}`, app: appOfWorkflowFile(name) }))
    .filter(({ file, app }) => !wanted.has(file) && (app || file === INFRA_WORKFLOW_FILE))
    .map((stray) => ({ ...stray, generated: isGenerated(path.join(root, stray.file)) }))
    .filter((stray) => stray.app !== undefined || stray.generated);
}

/** Why a hand-written `deploy-<app>.yml` stays, and what to do about it. */
function handWrittenProblem(stray: StrayWorkflow): string {
  return `${stray.file} is named like an app's pipeline, but there is no app "${stray.app}" (no apps/${stray.app}/deploy.json) and the file was not generated: rename or remove it.`;
}

export interface WriteResult {
  root: string;
  written: string[];
  unchanged: string[];
  /** Generated workflows of apps that are gone. */
  removed: string[];
}

/**
 * Writes every generated workflow (each app's `deploy-<app>.yml`, and infra.yml) and removes the
 * generated workflow of an app that no longer exists. The app generator calls this after adding
 * an app, as `npm run workflows` does.
 */
export function writeAppWorkflows(root: string): WriteResult {
  const generated = generateWorkflows(root);
  const result: WriteResult = { root: generated.root, written: [], unchanged: [], removed: [] };
  mkdirSync(path.join(generated.root, WORKFLOWS_DIR), { recursive: true });
  for (const workflow of generated.workflows) {
    const file = path.join(generated.root, workflow.file);
    if (existsSync(file) && readFileSync(file, "utf8") === workflow.content) {
      result.unchanged.push(workflow.file);
      continue;
    }
    writeFileSync(file, workflow.content);
    result.written.push(workflow.file);
  }
  for (const stray of strayWorkflows(generated.root, generated.workflows)) {
    if (!stray.generated) throw new Error(handWrittenProblem(stray));
    rmSync(path.join(generated.root, stray.file));
    result.removed.push(stray.file);
  }
  return result;
}

export interface WorkflowProblem {
  file: string;
  message: string;
  /** Diff-like lines: `-` what is committed, `+` what would be generated. */
  details: string[];
}

/**
 * Every difference between the committed workflows and what the workspace graph and the platform
 * config give: a workflow that differs, one that is missing, one of an app that no longer exists.
 */
export function checkAppWorkflows(cwd: string): { root: string; problems: WorkflowProblem[] } {
  const generated = generateWorkflows(cwd);
  const problems: WorkflowProblem[] = [];
  for (const workflow of generated.workflows) {
    const file = path.join(generated.root, workflow.file);
    if (!existsSync(file)) {
      problems.push({
        file: workflow.file,
        message: `${workflow.file} is missing${workflow.app ? `: app ${workflow.app} has no deploy pipeline` : ""}. Run \`npm run workflows\` and commit the file.`,
        details: [],
      });
      continue;
    }
    const committed = readFileSync(file, "utf8");
    if (committed !== workflow.content) {
      problems.push({
        file: workflow.file,
        message: `${workflow.file} differs from what the workspace graph and platform.config.json give (path filters, environments or template). Run \`npm run workflows\` and commit the result.`,
        details: lineDiff(committed, workflow.content),
      });
    }
  }
  for (const stray of strayWorkflows(generated.root, generated.workflows)) {
    let message: string;
    if (!stray.app) {
      message = `${stray.file} was generated, but there is no CDK app or AWS environment to generate it for any more. Run \`npm run workflows\` to remove it.`;
    } else if (stray.generated) {
      message = `${stray.file} deploys "${stray.app}", which is not an app (there is no apps/${stray.app}/deploy.json). Run \`npm run workflows\` to remove it, or restore the app.`;
    } else {
      // `npm run workflows` refuses to remove a file it did not write: do not send the user there.
      message = handWrittenProblem(stray);
    }
    problems.push({ file: stray.file, message, details: [] });
  }
  return { root: generated.root, problems };
}

/**
 * A short unified-style diff of two texts by line (longest common subsequence): each changed
 * line with its line number, `-` for `before`, `+` for `after`, at most `limit` lines.
 */
export function lineDiff(before: string, after: string, limit = 30): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..]
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = b.length - 1; j >= 0; j--) {
      row[j] =
        a[i] === b[j]
          ? (below[j + 1] as number) + 1
          : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (
      i < a.length &&
      (j >= b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))
    ) {
      out.push(`- ${String(i + 1).padStart(3)}: ${a[i]}`);
      i++;
    } else {
      out.push(`+ ${String(j + 1).padStart(3)}: ${b[j]}`);
      j++;
    }
  }
  return out.length > limit ? [...out.slice(0, limit), `  … ${out.length - limit} more`] : out;
}

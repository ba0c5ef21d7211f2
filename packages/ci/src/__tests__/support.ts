import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
export const workflowsDir = path.join(repoRoot, ".github/workflows");

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field
export type Yaml = any;

export interface WorkflowFile {
  /** e.g. `ci.yml` */
  name: string;
  /** e.g. `.github/workflows/ci.yml` */
  file: string;
  text: string;
  doc: Yaml;
}

/** Every workflow of the repository, parsed. */
export function readWorkflows(): WorkflowFile[] {
  return readdirSync(workflowsDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(workflowsDir, name), "utf8");
      return { name, file: `.github/workflows/${name}`, text, doc: parse(text) };
    });
}

export interface JobRef {
  workflow: WorkflowFile;
  id: string;
  job: Yaml;
  /** `ci.yml#checks` */
  where: string;
}

export function jobsOf(workflows: WorkflowFile[]): JobRef[] {
  return workflows.flatMap((workflow) =>
    Object.entries(workflow.doc.jobs ?? {}).map(([id, job]) => ({
      workflow,
      id,
      job,
      where: `${workflow.name}#${id}`,
    })),
  );
}

export interface StepRef extends JobRef {
  step: Yaml;
}

export function stepsOf(jobs: JobRef[]): StepRef[] {
  return jobs.flatMap((ref) => ((ref.job.steps ?? []) as Yaml[]).map((step) => ({ ...ref, step })));
}

/** The action a step uses without its ref, e.g. `actions/checkout`. */
export function actionOf(step: Yaml): string | undefined {
  return typeof step.uses === "string" ? step.uses.split("@")[0] : undefined;
}

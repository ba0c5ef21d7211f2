/**
 * Figures for the CDK app: how long building and synthesizing the default platform takes in
 * process (platform.config.json with staging and prod, apps api and web; cdk.json's context, so
 * CloudFormation validation and cdk-nag run as in `cdk synth`), and how many resources each stack
 * has. The CLI adds about 5 s on top (starting tsx and the toolkit).
 * Run: npm run bench -w @repo/infra
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as cdk from "aws-cdk-lib";
import { buildInfraApp } from "../src/infra-app.js";
import { cdkJsonContext } from "../src/platform-app.js";

const RUNS = 5;
const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function synthOnce(outdir: string): { ms: number; assembly: cdk.cx_api.CloudAssembly } {
  const started = performance.now();
  const app = new cdk.App({ context: cdkJsonContext(), outdir });
  buildInfraApp({ cwd: REPO_ROOT, app });
  const assembly = app.synth();
  return { ms: performance.now() - started, assembly };
}

/** Resource count and the most frequent types of each stack (read before the folder goes). */
function resourcesPerStack(assembly: cdk.cx_api.CloudAssembly): string[] {
  return assembly.stacks.map((stack) => {
    const resources = Object.values(stack.template.Resources ?? {}) as Array<{ Type: string }>;
    const byType = new Map<string, number>();
    for (const { Type } of resources) byType.set(Type, (byType.get(Type) ?? 0) + 1);
    const top = [...byType]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([type, count]) => `${type.replace(/^AWS::/, "")} ${count}`)
      .join(", ");
    return `  ${stack.stackName.padEnd(28)} ${String(resources.length).padStart(3)}  (${top}, ...)`;
  });
}

const times: number[] = [];
let lines: string[] = [];
for (let run = 0; run < RUNS; run++) {
  const outdir = mkdtempSync(path.join(tmpdir(), "infra-bench-"));
  try {
    const result = synthOnce(outdir);
    times.push(result.ms);
    lines = resourcesPerStack(result.assembly);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const [first = 0, ...rest] = times;
console.log(
  `synth of the default platform (2 environments x (1 platform + 2 app stacks)), ${RUNS} runs`,
);
console.log(
  `  first run  ${(first / 1000).toFixed(2)} s (loads the CloudFormation validation engine)`,
);
console.log(`  median     ${(median(rest) / 1000).toFixed(2)} s of the ${rest.length} later runs`);
console.log("resources per stack");
for (const line of lines) console.log(line);

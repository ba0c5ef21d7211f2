import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";

/** GitHub Actions' workflow commands need %, CR and LF escaped in their data. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** Writes to the job summary and annotations when running in GitHub Actions; else nothing. */
export class GitHubActions {
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  get active(): boolean {
    return this.env.GITHUB_ACTIONS === "true";
  }

  /** An `::error` annotation: shown on the run's page and the pull request. */
  error(title: string, message: string): void {
    if (this.active)
      this.out.write(`::error title=${escapeProperty(title)}::${escapeData(message)}\n`);
  }

  /**
   * A step output ($GITHUB_OUTPUT), for later steps and the job's `environment.url`
   * (`${{ steps.<id>.outputs.<name> }}`).
   */
  output(name: string, value: string): void {
    const file = this.env.GITHUB_OUTPUT;
    if (!this.active || !file) return;
    if (!/[\r\n]/.test(value)) {
      appendFileSync(file, `${name}=${value}\n`);
      return;
    }
    const delimiter = `ghadelimiter_${randomBytes(8).toString("hex")}`;
    appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  }

  /**
   * `::add-mask::`: GitHub Actions replaces `value` with *** in everything the job prints after
   * this line, this step's and later steps' output alike. Single-line values only (the command
   * cannot carry a line break); values under 8 characters are skipped, because masking short
   * strings garbles unrelated log text.
   */
  mask(value: string): void {
    if (!this.active) return;
    for (const line of value.split(/\r?\n/)) {
      if (line.trim().length >= 8) this.out.write(`::add-mask::${escapeData(line.trim())}\n`);
    }
  }

  /** Markdown appended to the job summary ($GITHUB_STEP_SUMMARY). */
  summary(markdown: string): void {
    const file = this.env.GITHUB_STEP_SUMMARY;
    if (this.active && file) appendFileSync(file, `${markdown}\n`);
  }
}

export function markdownTable(rows: Array<[string, string]>): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    "| | |",
    "| --- | --- |",
    ...rows.map(([key, value]) => `| ${cell(key)} | ${cell(value)} |`),
  ].join("\n");
}

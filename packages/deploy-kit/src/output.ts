/**
 * What the user sees. Progress goes to stderr (so `--json` keeps stdout for the one result);
 * on a terminal long steps show a ticking timer, in CI logs each line is printed once.
 */
export interface Reporter {
  /** A step starting; returns a function that ends it with a short outcome. */
  step(text: string): (outcome?: string) => void;
  info(text: string): void;
  warn(text: string): void;
  /**
   * A one-line notice about the tool itself rather than the work (a runtime warning): printed
   * once per text, and not at all with --json, whose runs are read by programs.
   */
  notice(text: string): void;
  /** A line for the final human-readable summary (not printed with --json). */
  result(text: string): void;
}

export interface ReporterOptions {
  json: boolean;
  /** Running in CI (`CI` is set): no ticking timer, even on a terminal. */
  ci?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  out?: NodeJS.WritableStream;
  now?: () => number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Image and archive sizes as the CLI prints them. */
export const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

/** An image id (`sha256:<hex>`) as `docker images` shows it: its first 12 hex digits. */
export const shortId = (id: string) => id.slice(7, 19);

export function createReporter(options: ReporterOptions): Reporter {
  const err = options.stream ?? process.stderr;
  const out = options.out ?? process.stdout;
  const now = options.now ?? (() => performance.now());
  const tty = Boolean(err.isTTY) && !options.ci;
  const noticed = new Set<string>();
  return {
    step(text) {
      const begin = now();
      let timer: NodeJS.Timeout | undefined;
      if (tty) {
        err.write(`→ ${text}`);
        timer = setInterval(() => err.write(`\r→ ${text} ${seconds(now() - begin)}`), 250);
        timer.unref();
      } else {
        err.write(`→ ${text}\n`);
      }
      return (outcome) => {
        if (timer) clearInterval(timer);
        const line = `✓ ${text}${outcome ? `: ${outcome}` : ""} (${seconds(now() - begin)})`;
        err.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
      };
    },
    info(text) {
      err.write(`  ${text}\n`);
    },
    warn(text) {
      err.write(`! ${text}\n`);
    },
    notice(text) {
      if (options.json || noticed.has(text)) return;
      noticed.add(text);
      err.write(`! ${text}\n`);
    },
    result(text) {
      if (!options.json) out.write(`${text}\n`);
    },
  };
}

/** A reporter that records lines, for tests. */
export function memoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step(text) {
      lines.push(`→ ${text}`);
      return (outcome) => lines.push(`✓ ${text}${outcome ? `: ${outcome}` : ""}`);
    },
    info: (text) => lines.push(`  ${text}`),
    warn: (text) => lines.push(`! ${text}`),
    notice: (text) => {
      if (!lines.includes(`! ${text}`)) lines.push(`! ${text}`);
    },
    result: (text) => lines.push(text),
  };
}

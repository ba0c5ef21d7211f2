import { PassThrough } from "node:stream";

/** A CLI's stdout and stderr as streams to hand it, and what it wrote to each so far. */
export interface CapturedOutput {
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  readonly out: string;
  readonly err: string;
}

export function captureOutput(): CapturedOutput {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += chunk;
  });
  stderr.on("data", (chunk) => {
    err += chunk;
  });
  return {
    stdout,
    stderr,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

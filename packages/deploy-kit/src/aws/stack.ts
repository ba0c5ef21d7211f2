import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DeployError, InterruptedError } from "../errors.js";
import type { AwsClients } from "./clients.js";
import { nextDelay, withThrottlingRetry } from "./retry.js";

export interface StackWaitInput {
  clients: AwsClients;
  stack: string;
  timeoutMs: number;
  signal?: AbortSignal;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random?: () => number;
  /** Called once when the wait starts, with the stack's status. */
  onWait: (status: string) => void;
  /** Poll interval bounds. @default 5 s .. 15 s */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** The stack's status, or undefined when it does not exist. */
export async function stackStatus(clients: AwsClients, stack: string): Promise<string | undefined> {
  try {
    const described = await withThrottlingRetry(() =>
      clients.cloudformation.send(new DescribeStacksCommand({ StackName: stack })),
    );
    return described.Stacks?.[0]?.StackStatus;
  } catch (err) {
    // CloudFormation answers a missing stack with a ValidationError, not a NotFound.
    const e = err as Error;
    if (e?.name === "ValidationError" && /does not exist/.test(e.message)) return undefined;
    throw err;
  }
}

/**
 * A stack CloudFormation is changing. REVIEW_IN_PROGRESS is a stack that a change set is about to
 * create: nothing of it exists yet, and it may stay so for days.
 */
function changing(status: string | undefined): status is string {
  return Boolean(status?.endsWith("_IN_PROGRESS")) && status !== "REVIEW_IN_PROGRESS";
}

/**
 * Waits while the app's stack is being changed (`*_IN_PROGRESS`: a `cdk deploy` runs). A release
 * during a stack update races it: CloudFormation may have read the image parameter just before
 * the release writes it, and then puts the older image back. Returns how long it waited (ms).
 */
export async function waitForStack(input: StackWaitInput): Promise<number> {
  const begin = input.now();
  let status = await stackStatus(input.clients, input.stack);
  if (!changing(status)) return 0;
  input.onWait(status);
  let delay = 0;
  while (changing(status)) {
    if (input.signal?.aborted) {
      throw new InterruptedError(
        `Interrupted while waiting for stack ${input.stack} (${status}); nothing was changed.`,
      );
    }
    const waited = input.now() - begin;
    if (waited >= input.timeoutMs) {
      throw new DeployError(
        `Stack ${input.stack} was still ${status} after ${Math.round(waited / 1000)} s; the release did not start and nothing was changed.`,
        {
          hint:
            "A `cdk deploy` of this environment is running: let it finish (the infra workflow, or `aws cloudformation describe-stacks --stack-name " +
            `${input.stack}\`), then release again.`,
        },
      );
    }
    delay = nextDelay(delay, input.minDelayMs ?? 5_000, input.maxDelayMs ?? 15_000, input.random);
    await input.sleep(Math.min(delay, Math.max(0, input.timeoutMs - waited)));
    status = await stackStatus(input.clients, input.stack);
  }
  return input.now() - begin;
}

/**
 * Figures for the AWS target (issue 5), against aws-sdk-client-mock (no AWS here):
 * - API calls per minute while waiting on a deployment that takes 10 minutes (virtual clock);
 * - the time deploy-kit itself adds to a release when every AWS call answers at once;
 * - how long a release waits for a `cdk deploy` of its stack (UPDATE_IN_PROGRESS) beyond the
 *   stack update itself, and what it prints meanwhile (issue 10).
 * Run: npm run bench -w @repo/deploy-kit
 */

import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { cloudformation, ecs } from "../src/aws/__tests__/fixtures/aws-mocks.js";
import {
  clock,
  done,
  mockHappyPath,
  releaseInput,
  releaseOptions,
  releaseTarget,
  rolling,
  stack,
  steady,
} from "../src/aws/__tests__/fixtures/release.js";
import { apiTaskDefinitionArn } from "../src/aws/__tests__/fixtures/task-definition.js";

const DEPLOYMENT_MS = 10 * 60_000;
// Without a load balancer: the figures are about polling the deployment.
const noBalancer = { loadBalancers: [] };

let started = 0;
const calls: number[] = [];

mockHappyPath();
ecs.on(UpdateServiceCommand).callsFake(() => {
  started = clock.at;
  return { service: { ...rolling(0, 2), ...noBalancer } };
});
ecs.on(DescribeServicesCommand).callsFake(() => {
  calls.push(clock.at);
  if (!started) return { services: [{ ...steady, ...noBalancer }] };
  const finished = clock.at >= started + DEPLOYMENT_MS;
  return { services: [{ ...(finished ? done : rolling(1, 1)), ...noBalancer }] };
});

const release = () => releaseTarget().target.release(releaseInput, releaseOptions());

// 1. Calls per minute while waiting, on a virtual clock (sleep advances it).
clock.at = Date.parse("2026-11-25T10:00:00Z");
await release();
const waiting = calls.filter((at) => at >= started);
const minutes = DEPLOYMENT_MS / 60_000;
console.log(
  "\n## AWS release: API calls while waiting (a 10-minute deployment, DescribeServices polls)",
);
console.log(
  `${waiting.length} DescribeServices calls in ${minutes} minutes = ${(waiting.length / minutes).toFixed(1)} per minute (target: <= 20); the health check of new targets adds 2-4 calls once, at the end`,
);

// 2. What deploy-kit adds: every AWS call answers at once, waits are zero.
const runs: number[] = [];
for (let i = 0; i < 20; i++) {
  calls.length = 0;
  started = 0;
  clock.at = Date.parse("2026-11-25T10:00:00Z");
  const begin = performance.now();
  await release();
  runs.push(performance.now() - begin);
}
runs.sort((a, b) => a - b);
console.log(
  "\n## Time deploy-kit adds to a release, apart from AWS's own waiting (20 runs, AWS answering at once)",
);
console.log(
  `median ${runs[10]?.toFixed(1)} ms, max ${runs[19]?.toFixed(1)} ms (rendering, registering, updating, polling logic, recording the image)`,
);

// 3. A release that meets a stack update: the stack is UPDATE_IN_PROGRESS for a while (virtual
// clock); how long after the update ends does the release start, and what does it say?
const updates = [45_000, 90_000, 180_000, 300_000];
console.log(
  "\n## A release during a `cdk deploy` of its stack (virtual clock; polls every 5-15 s with jitter)",
);
for (const updateMs of updates) {
  const late: number[] = [];
  let message = "";
  for (let i = 0; i < 9; i++) {
    calls.length = 0;
    started = 0;
    clock.at = Date.parse("2026-11-25T10:00:00Z");
    const updateEnds = clock.at + updateMs;
    cloudformation.on(DescribeStacksCommand).callsFake(() => ({
      Stacks: [stack(clock.at < updateEnds ? "UPDATE_IN_PROGRESS" : "UPDATE_COMPLETE")],
    }));
    let registeredAt = 0;
    ecs.on(RegisterTaskDefinitionCommand).callsFake((request) => {
      registeredAt = clock.at;
      return {
        taskDefinition: { ...request, taskDefinitionArn: apiTaskDefinitionArn(8), revision: 8 },
      };
    });
    const { target, reporter } = releaseTarget();
    await target.release(releaseInput, releaseOptions());
    late.push(registeredAt - updateEnds);
    message ||= reporter.lines.find((line) => line.includes("wait for stack")) ?? "";
  }
  late.sort((a, b) => a - b);
  console.log(
    `stack update of ${updateMs / 1000} s: the release registered its revision ${((late[4] ?? 0) / 1000).toFixed(1)} s after the update ended (median of 9, max ${((late[8] ?? 0) / 1000).toFixed(1)} s)`,
  );
  if (updateMs === updates[0]) console.log(`it printed: ${message}`);
}

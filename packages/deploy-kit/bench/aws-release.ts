/**
 * Figures for the AWS target (issue 5), against aws-sdk-client-mock (no AWS here):
 * - API calls per minute while waiting on a deployment that takes 10 minutes (virtual clock);
 * - the time deploy-kit itself adds to a release when every AWS call answers at once.
 * Run: npm run bench -w @repo/deploy-kit
 */

import { DescribeServicesCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { ecs } from "../src/aws/__tests__/fixtures/aws-mocks.js";
import {
  clock,
  done,
  mockHappyPath,
  releaseInput,
  releaseOptions,
  releaseTarget,
  rolling,
  steady,
} from "../src/aws/__tests__/fixtures/release.js";

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

/**
 * Figures for the AWS target (issue 5), against aws-sdk-client-mock (no AWS here):
 * - API calls per minute while waiting on a deployment that takes 10 minutes (virtual clock);
 * - the time deploy-kit itself adds to a release when every AWS call answers at once.
 * Run: npm run bench -w @repo/deploy-kit
 */

import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from "@aws-sdk/client-ecr";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import {
  apiApp,
  apiTaskDefinition,
  apiTaskTags,
  prodEnvironment,
} from "../src/aws/__tests__/fixtures/task-definition.js";
import { AwsTarget } from "../src/aws/aws-target.js";
import { createAwsClients } from "../src/aws/clients.js";
import { memoryReporter } from "../src/output.js";

const ACCOUNT = "222222222222";
const REGION = "eu-west-1";
const td = (n: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/platform-prod-api:${n}`;
const NEW = "ecs-svc/2222222222222222222";
const DEPLOYMENT_MS = 10 * 60_000;

let clock = 0;
let started = 0;
const calls: number[] = [];

function service(primary: {
  id: string;
  td: string;
  state: "IN_PROGRESS" | "COMPLETED";
  running: number;
}): Service {
  return {
    serviceName: "api",
    status: "ACTIVE",
    desiredCount: 2,
    runningCount: primary.running,
    taskDefinition: primary.td,
    loadBalancers: [],
    deployments: [
      {
        id: primary.id,
        status: "PRIMARY",
        taskDefinition: primary.td,
        desiredCount: 2,
        runningCount: primary.running,
        pendingCount: 2 - primary.running,
        failedTasks: 0,
        rolloutState: primary.state,
      },
    ],
    events: [],
  };
}

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
mockClient(STSClient).on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
mockClient(SSMClient).on(PutParameterCommand).resolves({ Version: 2 });
mockClient(ElasticLoadBalancingV2Client)
  .on(DescribeTargetHealthCommand)
  .resolves({ TargetHealthDescriptions: [] });
ecr
  .on(DescribeImagesCommand)
  .resolves({ imageDetails: [{ imageDigest: `sha256:${"c".repeat(64)}` }] });
ecr.on(BatchGetImageCommand).resolves({
  images: [
    { imageManifest: "{}", imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json" },
  ],
});
ecr.on(PutImageCommand).resolves({});
ecs
  .on(DescribeTaskDefinitionCommand)
  .resolves({ taskDefinition: apiTaskDefinition(7), tags: apiTaskTags });
ecs
  .on(RegisterTaskDefinitionCommand)
  .resolves({ taskDefinition: { taskDefinitionArn: td(8), revision: 8 } });
ecs.on(UpdateServiceCommand).callsFake(() => {
  started = clock;
  return { service: service({ id: NEW, td: td(8), state: "IN_PROGRESS", running: 0 }) };
});
ecs.on(ListTasksCommand).resolves({ taskArns: [] });
ecs.on(DescribeTasksCommand).resolves({ tasks: [] });
ecs.on(DescribeServicesCommand).callsFake(() => {
  calls.push(clock);
  if (!started)
    return { services: [service({ id: "ecs-svc/1", td: td(7), state: "COMPLETED", running: 2 })] };
  const doneAt = started + DEPLOYMENT_MS;
  return {
    services: [
      service({
        id: NEW,
        td: td(8),
        state: clock >= doneAt ? "COMPLETED" : "IN_PROGRESS",
        running: clock >= doneAt ? 2 : 1,
      }),
    ],
  };
});

const environment = prodEnvironment;
const app = apiApp;
/** A target whose waits advance a virtual clock instead of taking time. */
function virtualTarget() {
  return new AwsTarget({
    clients: createAwsClients(REGION),
    project: "platform",
    environment,
    reporter: memoryReporter(),
    env: {},
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
}

const input = {
  app,
  image: "platform/api:222222222222",
  commit: "2".repeat(40),
  tag: "222222222222",
};
const options = { dryRun: false, timeoutMs: 15 * 60_000, signal: new AbortController().signal };

// 1. Calls per minute while waiting, on a virtual clock (sleep advances it).
clock = Date.parse("2026-11-25T10:00:00Z");
const virtual = virtualTarget();
await virtual.release(input, options);
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
  clock = Date.parse("2026-11-25T10:00:00Z");
  const instant = virtualTarget();
  const begin = performance.now();
  await instant.release(input, options);
  runs.push(performance.now() - begin);
}
runs.sort((a, b) => a - b);
console.log(
  "\n## Time deploy-kit adds to a release, apart from AWS's own waiting (20 runs, AWS answering at once)",
);
console.log(
  `median ${runs[10]?.toFixed(1)} ms, max ${runs[19]?.toFixed(1)} ms (rendering, registering, updating, polling logic, recording the image)`,
);

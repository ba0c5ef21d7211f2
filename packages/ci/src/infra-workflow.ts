// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ ... }} here is GitHub Actions expressions, written as they are
import { comment, GENERATED_MARKER, list, q, WORKFLOWS_DIR } from "./template.js";
import { dependenciesOf, type WorkspaceGraph } from "./workspace-graph.js";

/** The CDK app's folder. */
export const INFRA_DIR = "packages/infra";

export const INFRA_WORKFLOW_FILE = `${WORKFLOWS_DIR}/infra.yml`;

/** The hand-written reusable workflows infra.yml calls. */
export const INFRA_REUSABLE_WORKFLOWS = {
  diff: `${WORKFLOWS_DIR}/infra-diff.yml`,
  comment: `${WORKFLOWS_DIR}/infra-comment.yml`,
  deploy: `${WORKFLOWS_DIR}/infra-deploy.yml`,
} as const;

/**
 * The paths whose change the infrastructure sees: the CDK app and every workspace it depends on,
 * what it reads at the root (the platform config, each app's manifest, the lockfile that pins
 * the CDK), and its workflow files. Undefined when the repository has no CDK app.
 */
export function infraTriggerPaths(graph: WorkspaceGraph): string[] | undefined {
  const infra = graph.workspaces.find((workspace) => workspace.dir === INFRA_DIR);
  if (!infra) return undefined;
  return [
    ...[infra.dir, ...dependenciesOf(graph, infra.name).map((w) => w.dir)].map((d) => `${d}/**`),
    "platform.config.json",
    "apps/*/deploy.json",
    "package-lock.json",
    INFRA_WORKFLOW_FILE,
    ...Object.values(INFRA_REUSABLE_WORKFLOWS),
  ];
}

/**
 * The whole infra.yml: on a pull request, `cdk diff` of every AWS environment, posted as one
 * comment; on main, `cdk deploy` of each environment after the one before. Its jobs follow the
 * AWS environments of platform.config.json, in order, like every app's pipeline.
 */
export function renderInfraWorkflow(paths: string[], environments: string[]): string {
  const onMain = "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'";
  const lines = [
    GENERATED_MARKER,
    ...comment(
      `The platform's infrastructure (${INFRA_DIR}, CDK). On a pull request that changes it: \`cdk diff\` of each AWS environment (${environments.join(", ")}), posted to the pull request as one comment that each run updates. On main: \`cdk deploy\` of ${environments.join(", then ")}, each in its GitHub environment <env>-infra (not the releases' <env>: only it is trusted by the infra role), so that its approvals apply.`,
    ),
    "name: infra",
    "",
    "on:",
    "  pull_request:",
    "    paths:",
    ...list(paths, 6),
    "  push:",
    "    branches: [main]",
    "    paths:",
    ...list(paths, 6),
    "  workflow_dispatch:",
    "",
    "permissions:",
    "  contents: read",
    "",
    "jobs:",
    "  diff:",
    "    name: cdk diff ${{ matrix.environment }}",
    "    # Pull requests from forks get no OIDC token: nothing to diff with.",
    "    if: github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository",
    "    strategy:",
    "      fail-fast: false",
    "      matrix:",
    `        environment: [${environments.map(q).join(", ")}]`,
    `    uses: ./${INFRA_REUSABLE_WORKFLOWS.diff}`,
    "    permissions:",
    "      contents: read",
    "      id-token: write",
    "    with:",
    "      environment: ${{ matrix.environment }}",
    "",
    "  comment:",
    "    name: post the diff",
    "    needs: diff",
    "    if: ${{ !cancelled() && needs.diff.result != 'skipped' }}",
    `    uses: ./${INFRA_REUSABLE_WORKFLOWS.comment}`,
    "    permissions:",
    "      pull-requests: write",
  ];
  let previous: string | undefined;
  for (const environment of environments) {
    const job = `deploy-${environment}`;
    lines.push("", `  ${job}:`, `    name: cdk deploy ${environment}`);
    if (previous) lines.push(`    needs: ${previous}`);
    lines.push(
      `    if: ${onMain}`,
      `    uses: ./${INFRA_REUSABLE_WORKFLOWS.deploy}`,
      "    permissions:",
      "      contents: read",
      "      id-token: write",
      "    with:",
      `      environment: ${q(environment)}`,
    );
    previous = job;
  }
  return `${lines.join("\n")}\n`;
}

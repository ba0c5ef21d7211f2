import * as cdk from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import {
  attachStatements,
  type GitHubRepository,
  type ReasonedStatement,
  type ReleaseRecordsProps,
  releaseRecordStatements,
} from "./github-deploy-role.js";
import { GITHUB_REFS, GITHUB_WORKFLOW_FILES, githubTrust } from "./github-trust.js";

export interface GitHubInfraRolesProps {
  /** The repository whose workflows may run cdk. */
  readonly github: GitHubRepository;
  /** The platform environment's name. */
  readonly environment: string;
  /**
   * The GitHub environment `cdk deploy` runs in (`environment:` of infra-deploy.yml's job):
   * githubEnvironments(environment).infra, never the one app releases run in, so that no release
   * job can become the infra role, and its approvals and branch rule are its own.
   */
  readonly githubEnvironment: string;
  /**
   * Whether the trusts also check GitHub's `job_workflow_ref` and `repository_id` claims, which
   * STS supports in the commercial partition only (see supportsGitHubClaimKeys).
   */
  readonly claimKeys: boolean;
  /** The GitHub OIDC provider of the account (the deploy role's). */
  readonly oidcProviderArn: string;
  /** Name of the role that runs `cdk deploy`. */
  readonly infraRoleName: string;
  /** Name of the read-only role that runs `cdk diff` on pull requests. */
  readonly diffRoleName: string;
  /** The stacks of this environment, whose templates both roles read. */
  readonly stackNames: readonly string[];
  /**
   * The qualifier of the account's CDK bootstrap stack.
   * @default - the `@aws-cdk/core:bootstrapQualifier` context, else "hnb659fds" (what
   * `cdk bootstrap` uses unless told otherwise)
   */
  readonly bootstrapQualifier?: string;
  /**
   * The apps whose releases `deploy-kit reconcile` records before `cdk deploy` (so that
   * CloudFormation reads the image that runs): the infra role may read their services and task
   * definitions and write their image parameters, release outcome tags and image release tags.
   *
   * @default - the infra role records nothing (deploy-kit's commands still do, with the deploy role)
   */
  readonly releaseRecords?: Omit<ReleaseRecordsProps, "stack">;
}

/**
 * The synthesizer of every stack of the platform: the default one, without the CDK lookup role
 * for stack operations. With it, `cdk diff` and `cdk deploy` read the deployed templates as the
 * bootstrap lookup role (`ReadOnlyAccess`: every S3 object, log and parameter of the account),
 * so the CI roles would have to be able to assume it. Without it the CLI reads them with the
 * caller's own credentials (aws-cdk `accessStackForLookup`: no role in the manifest, no
 * AssumeRole, no bootstrap-version read), which need only DescribeStacks and GetTemplate on the
 * environment's stacks. Templates are unchanged: only the cloud assembly's manifest loses the
 * lookup role. The app makes no context lookups (synth runs offline), so nothing else needs it.
 */
export function platformStackSynthesizer(): cdk.DefaultStackSynthesizer {
  return new cdk.DefaultStackSynthesizer({ useLookupRoleForStackOperations: false });
}

/**
 * The two roles the infra workflow assumes through GitHub OIDC. Neither can change anything by
 * itself: CloudFormation changes go through the CDK bootstrap roles, which `cdk deploy` assumes.
 * - the infra role, for `cdk deploy` on main: trusted only by infra-deploy.yml's job in the
 *   environment's `-infra` GitHub environment (so its approvals apply, and no app release job can
 *   assume it), allowed to assume the bootstrap deploy and file-publishing roles, to read the
 *   environment's stack templates, and to record what each app runs (`deploy-kit reconcile`, see
 *   `releaseRecords`) before it deploys;
 * - the diff role, for `cdk diff --method=template` on pull requests: trusted by infra-diff.yml's
 *   pull-request jobs of this repository, allowed to read the environment's stack templates and
 *   nothing else: no bootstrap role at all, the read-only lookup role included, which reads far
 *   more than a diff needs (see platformStackSynthesizer).
 */
export class GitHubInfraRoles extends Construct {
  public readonly infraRole: iam.Role;
  public readonly diffRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubInfraRolesProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    // The synthesizer's own rule: the prop, else the context cdk.json may set, else the default.
    const qualifier =
      props.bootstrapQualifier ??
      (this.node.tryGetContext("@aws-cdk/core:bootstrapQualifier") as string | undefined) ??
      cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const repo = `${props.github.owner}/${props.github.repo}`;
    const bootstrapRole = (kind: string) =>
      `arn:${stack.partition}:iam::${stack.account}:role/cdk-${qualifier}-${kind}-${stack.account}-${stack.region}`;
    const stackArns = props.stackNames.map((name) =>
      stack.formatArn({ service: "cloudformation", resource: "stack", resourceName: `${name}/*` }),
    );
    // What the CLI calls to read a deployed template (CloudFormationStack.lookup): no nested
    // stacks here, so no ListStackResources; sts:GetCallerIdentity needs no grant.
    const readStackTemplates = (): ReasonedStatement => ({
      statement: new iam.PolicyStatement({
        sid: "ReadStackTemplates",
        actions: ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
        resources: stackArns,
      }),
      wildcardReason:
        "cloudformation:DescribeStacks and GetTemplate on this environment's stacks: a stack's ARN ends in the id CloudFormation gives it at creation, the stack name before it is exact",
    });

    this.infraRole = new iam.Role(this, "InfraRole", {
      roleName: props.infraRoleName,
      description: `GitHub Actions of ${repo} running cdk deploy for environment ${props.environment}`,
      assumedBy: githubTrust(props.oidcProviderArn, props.github, {
        context: { environment: props.githubEnvironment },
        workflowFile: GITHUB_WORKFLOW_FILES.infra,
        refs: GITHUB_REFS.infra,
        claimKeys: props.claimKeys,
      }),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    attachStatements(this, "Infra", this.infraRole, [
      {
        // cdk deploy: change sets through the deploy role, the Lambda asset of the VPC's
        // default-security-group custom resource through the file-publishing role. No image
        // assets (deploy-kit builds and pushes the apps' images), so no image-publishing role; no
        // lookup role (see platformStackSynthesizer).
        statement: new iam.PolicyStatement({
          sid: "AssumeCdkBootstrapRoles",
          actions: ["sts:AssumeRole", "sts:TagSession"],
          resources: ["deploy-role", "file-publishing-role"].map(bootstrapRole),
        }),
      },
      readStackTemplates(),
      ...(props.releaseRecords ? releaseRecordStatements({ ...props.releaseRecords, stack }) : []),
    ]);

    this.diffRole = new iam.Role(this, "DiffRole", {
      roleName: props.diffRoleName,
      description: `GitHub Actions of ${repo} running cdk diff on pull requests for environment ${props.environment}`,
      assumedBy: githubTrust(props.oidcProviderArn, props.github, {
        context: { event: "pull_request" },
        workflowFile: GITHUB_WORKFLOW_FILES.diff,
        refs: GITHUB_REFS.diff,
        claimKeys: props.claimKeys,
      }),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    attachStatements(this, "Diff", this.diffRole, [
      {
        // A pull request's own code runs with this role (npm ci, cdk synth): whatever a later
        // change grants it, it never becomes another role. The CDK lookup role trusts the
        // account, so an Allow in any identity policy of this role would be enough without it.
        statement: new iam.PolicyStatement({
          sid: "NeverAssumeRoles",
          effect: iam.Effect.DENY,
          actions: ["sts:AssumeRole"],
          resources: ["*"],
        }),
      },
      readStackTemplates(),
    ]);
  }
}

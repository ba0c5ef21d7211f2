import * as cdk from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import {
  acknowledgeWildcards,
  flatten,
  type GitHubRepository,
  gitHubActionsPrincipal,
  type ReleaseRecordsProps,
  releaseRecordStatements,
} from "./github-deploy-role.js";

export interface GitHubInfraRolesProps {
  /** The repository whose workflows may run cdk. */
  readonly github: GitHubRepository;
  /** The environment's name: `cdk deploy` runs only in jobs of this GitHub environment. */
  readonly environment: string;
  /** The GitHub OIDC provider of the account (the deploy role's). */
  readonly oidcProviderArn: string;
  /** Name of the role that runs `cdk deploy`. */
  readonly infraRoleName: string;
  /** Name of the read-only role that runs `cdk diff` on pull requests. */
  readonly diffRoleName: string;
  /** The stacks of this environment, whose templates the diff role may read. */
  readonly stackNames: readonly string[];
  /**
   * The qualifier of the account's CDK bootstrap stack.
   * @default "hnb659fds" (what `cdk bootstrap` uses unless told otherwise)
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
 * The two roles the infra workflow assumes through GitHub OIDC. Neither can change anything by
 * itself: CloudFormation changes go through the CDK bootstrap roles, which `cdk deploy` assumes.
 * - the infra role, for `cdk deploy` on main: trusted only by jobs in the environment's GitHub
 *   environment (so its approval rules apply), allowed to assume the bootstrap roles, and to
 *   record what each app runs (`deploy-kit reconcile`, see `releaseRecords`) before it deploys;
 * - the diff role, for `cdk diff` on pull requests: trusted by pull-request jobs of this
 *   repository, allowed to assume only the bootstrap lookup role (read-only) and read the
 *   environment's stack templates.
 */
export class GitHubInfraRoles extends Construct {
  public readonly infraRole: iam.Role;
  public readonly diffRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubInfraRolesProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const qualifier = props.bootstrapQualifier ?? "hnb659fds";
    const repo = `${props.github.owner}/${props.github.repo}`;
    const bootstrapRole = (kind: string) =>
      `arn:${stack.partition}:iam::${stack.account}:role/cdk-${qualifier}-${kind}-${stack.account}-${stack.region}`;
    const trustedBy = (subject: string) => gitHubActionsPrincipal(props.oidcProviderArn, subject);

    this.infraRole = new iam.Role(this, "InfraRole", {
      roleName: props.infraRoleName,
      description: `GitHub Actions of ${repo} running cdk deploy for environment ${props.environment}`,
      assumedBy: trustedBy(`repo:${repo}:environment:${props.environment}`),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    this.infraRole.addToPolicy(
      new iam.PolicyStatement({
        sid: "AssumeCdkBootstrapRoles",
        actions: ["sts:AssumeRole", "sts:TagSession"],
        resources: [
          "deploy-role",
          "file-publishing-role",
          "image-publishing-role",
          "lookup-role",
        ].map(bootstrapRole),
      }),
    );

    if (props.releaseRecords) {
      const statements = releaseRecordStatements({ ...props.releaseRecords, stack });
      const policy = new iam.Policy(this, "ReleaseRecordsPolicy", {
        roles: [this.infraRole],
        statements: statements.map(({ statement }) => statement),
      });
      acknowledgeWildcards(policy, statements);
    }

    this.diffRole = new iam.Role(this, "DiffRole", {
      roleName: props.diffRoleName,
      description: `GitHub Actions of ${repo} running cdk diff on pull requests for environment ${props.environment}`,
      assumedBy: trustedBy(`repo:${repo}:pull_request`),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    this.diffRole.addToPolicy(
      new iam.PolicyStatement({
        sid: "AssumeCdkLookupRole",
        actions: ["sts:AssumeRole", "sts:TagSession"],
        resources: [bootstrapRole("lookup-role")],
      }),
    );
    const stackArns = props.stackNames.map((name) =>
      stack.formatArn({ service: "cloudformation", resource: "stack", resourceName: `${name}/*` }),
    );
    this.diffRole.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadStackTemplates",
        actions: ["cloudformation:GetTemplate", "cloudformation:DescribeStacks"],
        resources: stackArns,
      }),
    );
    const policy = this.diffRole.node.findChild("DefaultPolicy");
    for (const arn of stackArns) {
      cdk.Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(arn))}]`,
        reason:
          "A stack's ARN ends in the id CloudFormation gives it at creation; the stack name before it is exact.",
      });
    }
  }
}

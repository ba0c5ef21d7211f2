import * as cdk from "aws-cdk-lib";
import type * as ecr from "aws-cdk-lib/aws-ecr";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_URL,
  GITHUB_REFS,
  GITHUB_WORKFLOW_FILES,
  type GitHubIdentity,
  githubTrust,
} from "./github-trust.js";

/** The repository whose workflows the roles trust, with its immutable ids when known. */
export type GitHubRepository = GitHubIdentity;

export interface GitHubDeployRoleProps {
  /** awsNames(project, env).deployRole */
  readonly roleName: string;
  /** The only repository whose workflows may assume the role. */
  readonly github: GitHubRepository;
  /** The platform environment's name (see `githubEnvironment` for the GitHub one). */
  readonly environment: string;
  /**
   * The GitHub Actions environment a release job must run in (`environment: <name>` in
   * deploy.yml): githubEnvironments(environment).release, so required reviewers and branch rules
   * of that GitHub environment guard every release. Never the infra workflow's: a job that may
   * assume this role must not be able to assume the infra role, and the reverse.
   */
  readonly githubEnvironment: string;
  /**
   * Whether the trust also checks GitHub's `job_workflow_ref` and `repository_id` claims, which
   * STS supports in the commercial partition only (see supportsGitHubClaimKeys).
   */
  readonly claimKeys: boolean;
  /**
   * The account's existing GitHub OIDC provider. An account holds one provider per URL, so the
   * second environment in one account points at the first one's.
   *
   * @default - a provider is created (and retained when the stack is deleted)
   */
  readonly oidcProviderArn?: string;
  /** The apps' ECR repositories: the role pushes and pulls these only. */
  readonly repositories: readonly ecr.IRepository[];
  /** The apps' image parameters: the role reads and writes these only. */
  readonly imageParameters: readonly ssm.IStringParameter[];
  /** The apps' log groups: the role reads these only (the last lines of a failed task). */
  readonly logGroups: readonly logs.ILogGroup[];
  /** The cluster's name, which ECS puts in service, task and container-instance ARNs. */
  readonly clusterName: string;
  /** The cluster's ARN: its description, its container instances, and ListTasks' condition. */
  readonly clusterArn: string;
  /**
   * The cluster's EC2 capacity providers, whose Auto Scaling groups diagnostics follow.
   *
   * @default - none (Fargate only)
   */
  readonly capacityProviderNames?: readonly string[];
  /** The environment's stacks (platform and services): their events are readable. */
  readonly stackNames: readonly string[];
  /** The apps' task-definition families: deploy-kit registers revisions of these. */
  readonly taskFamilies: readonly string[];
  /**
   * Tags every task definition deploy-kit registers must carry (it copies the current
   * revision's tags, which CDK set from the stack's tags): RegisterTaskDefinition supports no
   * resource-level permission, so these request tags are what ties the grant to this platform.
   */
  readonly requiredTaskDefinitionTags: Readonly<Record<string, string>>;
  /**
   * How long a CI session lasts.
   *
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: cdk.Duration;
}

/**
 * The role CI assumes through GitHub OIDC to release apps to one environment, trusted only for
 * jobs of one repository running in the GitHub environment of the same name. It carries the
 * platform-level permissions; each service stack adds that app's (UpdateService on its service,
 * iam:PassRole of its task roles).
 */
export class GitHubDeployRole extends Construct {
  public readonly role: iam.Role;
  /** The platform-level permissions without a wildcard resource, one statement per purpose. */
  public readonly policy: iam.Policy;
  /** Every platform-level policy: `policy`, then one per statement with a wildcard resource. */
  public readonly policies: readonly iam.Policy[];
  /** The OIDC provider, when this construct created it. */
  public readonly oidcProvider: iam.OidcProviderNative | undefined;
  public readonly oidcProviderArn: string;

  constructor(scope: Construct, id: string, props: GitHubDeployRoleProps) {
    super(scope, id);
    validate(this, props);
    const stack = cdk.Stack.of(this);

    if (props.oidcProviderArn === undefined) {
      // The native AWS::IAM::OIDCProvider resource, not iam.OpenIdConnectProvider (a custom
      // resource backed by a Lambda function). No thumbprints: IAM trusts GitHub's certificate
      // authority itself for this issuer.
      this.oidcProvider = new iam.OidcProviderNative(this, "OidcProvider", {
        url: GITHUB_OIDC_URL,
        clientIds: [GITHUB_OIDC_AUDIENCE],
        // Roles of other environments in this account may trust it too (by ARN): deleting this
        // stack must not cut them off. Recreating the stack then needs githubOidcProviderArn.
        removalPolicy: cdk.RemovalPolicy.RETAIN,
      });
      this.oidcProviderArn = this.oidcProvider.oidcProviderArn;
    } else {
      this.oidcProvider = undefined;
      this.oidcProviderArn = props.oidcProviderArn;
    }

    this.role = new iam.Role(this, "Role", {
      roleName: props.roleName,
      description: `GitHub Actions of ${props.github.owner}/${props.github.repo} releasing apps to environment ${props.environment}`,
      // One repository, its release workflow, one GitHub environment.
      assumedBy: githubTrust(this.oidcProviderArn, props.github, {
        context: { environment: props.githubEnvironment },
        workflowFile: GITHUB_WORKFLOW_FILES.release,
        refs: GITHUB_REFS.release,
        claimKeys: props.claimKeys,
      }),
      maxSessionDuration: props.maxSessionDuration ?? cdk.Duration.hours(1),
    });

    const arn = (service: string, resource: string, resourceName: string) =>
      stack.formatArn({ service, resource, resourceName });
    const clusterScoped = (resource: string) => arn("ecs", resource, `${props.clusterName}/*`);
    const families = props.taskFamilies.map((family) =>
      arn("ecs", "task-definition", `${family}:*`),
    );
    const stacks = props.stackNames.map((name) => arn("cloudformation", "stack", `${name}/*`));

    // Each statement: what it is for, and why its resource is what it is. `*` appears only where
    // the action supports no resource-level permission (Service Authorization Reference).
    const statements: Array<{ statement: iam.PolicyStatement; wildcardReason?: string }> = [
      {
        // docker login: GetAuthorizationToken is account-wide, it has no resource type.
        statement: new iam.PolicyStatement({
          sid: "EcrLogin",
          actions: ["ecr:GetAuthorizationToken"],
          resources: ["*"],
        }),
        wildcardReason:
          "ecr:GetAuthorizationToken supports no resource-level permission (the token is for the registry as a whole); pushing and pulling are limited to the apps' repositories by EcrPushPull",
      },
      {
        // Push (layers, manifest, the release tag) and pull (digest lookup, promotion) of the
        // apps' repositories only.
        statement: new iam.PolicyStatement({
          sid: "EcrPushPull",
          actions: [
            "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
            "ecr:BatchGetImage",
            "ecr:DescribeImages",
            "ecr:GetDownloadUrlForLayer",
          ],
          resources: props.repositories.map((repository) => repository.repositoryArn),
        }),
      },
      {
        // The released image of each app: written after a release, and read by
        // `deploy-kit reconcile` (aws/history.ts readParameter), which release, status, releases
        // and rollback run first to record what runs.
        statement: new iam.PolicyStatement({
          sid: "ImageParameters",
          actions: ["ssm:GetParameter", "ssm:PutParameter"],
          resources: props.imageParameters.map((parameter) => parameter.parameterArn),
        }),
      },
      {
        // A release registers a new revision of the app's task definition. RegisterTaskDefinition
        // has no resource type in the Service Authorization Reference, so Resource must be `*`
        // (aws/containers-roadmap#929 asks for more); what can be required is its request tags:
        // a revision without this platform's project and environment tags is refused.
        statement: new iam.PolicyStatement({
          sid: "RegisterTaskDefinition",
          actions: ["ecs:RegisterTaskDefinition"],
          resources: ["*"],
          conditions: {
            StringEquals: Object.fromEntries(
              Object.entries(props.requiredTaskDefinitionTags).map(([key, value]) => [
                `aws:RequestTag/${key}`,
                value,
              ]),
            ),
          },
        }),
        wildcardReason:
          "ecs:RegisterTaskDefinition supports no resource-level permission (aws/containers-roadmap#929); the statement requires this platform's project and environment request tags instead",
      },
      {
        // Tag-on-create: registering with tags also authorizes ecs:TagResource on the new
        // revision. Only for that (ecs:CreateAction) and only for this platform's families.
        statement: new iam.PolicyStatement({
          sid: "TagTaskDefinitionOnRegister",
          actions: ["ecs:TagResource"],
          resources: families,
          conditions: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
        }),
        wildcardReason: `${FAMILY_WILDCARD_REASON}, for tag-on-create only`,
      },
      {
        // Once a release's outcome is known it is written on its revision (deploy-kit:outcome):
        // rollback goes only to releases that succeeded. Only that tag key, only these families.
        statement: releaseOutcomeStatement(families),
        wildcardReason: FAMILY_WILDCARD_REASON,
      },
      {
        // Read the current revision to copy it with a new image, and list a family's revisions
        // (release history, rollback). Neither supports a resource-level permission.
        statement: new iam.PolicyStatement({
          sid: "ReadTaskDefinitions",
          actions: ["ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"],
          resources: ["*"],
        }),
        wildcardReason:
          "ecs:DescribeTaskDefinition and ecs:ListTaskDefinitions support no resource-level permission; both only read task definitions",
      },
      {
        // The cluster's capacity providers and registered instances (placement failures).
        statement: new iam.PolicyStatement({
          sid: "EcsCluster",
          actions: ["ecs:DescribeClusters", "ecs:ListContainerInstances"],
          resources: [props.clusterArn],
        }),
      },
      {
        // Which Auto Scaling group backs the EC2 capacity provider: this cluster's only.
        statement: new iam.PolicyStatement({
          sid: "EcsCapacityProviders",
          actions: ["ecs:DescribeCapacityProviders"],
          resources: (props.capacityProviderNames ?? []).map((name) =>
            arn("ecs", "capacity-provider", name),
          ),
        }),
      },
      {
        // Follow a deployment and explain a failure: services, tasks and container instances of
        // this cluster only (their ARNs carry the cluster's name).
        statement: new iam.PolicyStatement({
          sid: "EcsDiagnostics",
          actions: ["ecs:DescribeServices", "ecs:DescribeTasks", "ecs:DescribeContainerInstances"],
          resources: [
            clusterScoped("service"),
            clusterScoped("task"),
            clusterScoped("container-instance"),
          ],
        }),
        wildcardReason:
          "services, tasks and container instances come and go by id within this cluster: the patterns cover this cluster's only",
      },
      {
        // The stopped tasks of a deployment. ListTasks is authorized against the cluster through
        // the ecs:cluster condition key, which limits it to this cluster.
        statement: new iam.PolicyStatement({
          sid: "EcsListTasks",
          actions: ["ecs:ListTasks"],
          resources: ["*"],
          conditions: { ArnEquals: { "ecs:cluster": props.clusterArn } },
        }),
        wildcardReason:
          "ecs:ListTasks is limited to this cluster by the ecs:cluster condition rather than by its resource",
      },
      {
        // Target health reasons (wrong port or path, timeouts). Elastic Load Balancing's
        // Describe* actions support no resource-level permission.
        statement: new iam.PolicyStatement({
          sid: "LoadBalancerDiagnostics",
          actions: [
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTargetGroups",
          ],
          resources: ["*"],
        }),
        wildcardReason:
          "elasticloadbalancing:DescribeTargetHealth and DescribeTargetGroups support no resource-level permission; both only read",
      },
      {
        // Why EC2 capacity did not come (Auto Scaling activities). Describe* actions of Auto
        // Scaling support no resource-level permission.
        statement: new iam.PolicyStatement({
          sid: "AutoScalingDiagnostics",
          actions: [
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeAutoScalingGroups",
          ],
          resources: ["*"],
        }),
        wildcardReason:
          "autoscaling:DescribeScalingActivities and DescribeAutoScalingGroups support no resource-level permission; both only read",
      },
      {
        // A release waits while the app's stack is *_IN_PROGRESS (a cdk deploy): the status of
        // this environment's stacks only.
        statement: new iam.PolicyStatement({
          sid: "StackStatus",
          actions: ["cloudformation:DescribeStacks"],
          resources: stacks,
        }),
        wildcardReason:
          "a stack's ARN ends in an id CloudFormation generates: the pattern covers one named stack of this environment",
      },
      {
        // The last log lines of a failed task (aws/diagnose.ts, GetLogEvents of the task's
        // stream): the apps' log groups only (the ARN ends in :*, which covers the group's
        // streams). Nothing searches logs, so no FilterLogEvents.
        statement: new iam.PolicyStatement({
          sid: "AppLogs",
          actions: ["logs:GetLogEvents"],
          resources: props.logGroups.map((group) => group.logGroupArn),
        }),
        wildcardReason:
          "logs:GetLogEvents is granted on the apps' log groups, whose ARNs end in :* to cover their log streams",
      },
    ].filter(({ statement }) => statement.resources.length > 0);

    const policies = attachStatements(this, "", this.role, statements);
    this.policy = policies.plain;
    this.policies = [policies.plain, ...policies.wildcard];
  }
}

/** A statement, and why its resource holds a wildcard, when it does. */
export interface ReasonedStatement {
  readonly statement: iam.PolicyStatement;
  readonly wildcardReason?: string;
}

/**
 * Attaches `statements` to `role`: those without a wildcard resource in one policy
 * (`<prefix>Policy`), and each one with a wildcard in a policy of its own (`<prefix><Sid>Policy`),
 * acknowledged with that statement's reason. cdk-nag names an AwsSolutions-IAM5 finding by the
 * resource only (`Resource::*`), and acknowledges it for the whole policy: statements sharing a
 * policy would share one reason, true of one of them at most.
 */
export function attachStatements(
  scope: Construct,
  prefix: string,
  role: iam.IRole,
  statements: readonly ReasonedStatement[],
): { plain: iam.Policy; wildcard: iam.Policy[] } {
  const stack = cdk.Stack.of(scope);
  // A Deny on `*` is a guard, not a grant: cdk-nag reports only Allow statements.
  const withWildcard = (statement: iam.PolicyStatement) =>
    statement.effect === iam.Effect.ALLOW &&
    statement.resources.some((resource) => flatten(stack.resolve(resource)).includes("*"));
  const plain = new iam.Policy(scope, `${prefix}Policy`, {
    roles: [role],
    statements: statements
      .filter(({ statement }) => !withWildcard(statement))
      .map(({ statement }) => statement),
  });
  const wildcard = statements
    .filter(({ statement }) => withWildcard(statement))
    .map((entry) => {
      if (!entry.statement.sid) throw new Error("internal: a wildcard statement without a Sid");
      const policy = new iam.Policy(scope, `${prefix}${entry.statement.sid}Policy`, {
        roles: [role],
        statements: [entry.statement],
      });
      acknowledgeWildcards(policy, [entry]);
      return policy;
    });
  return { plain, wildcard };
}

const FAMILY_WILDCARD_REASON =
  "a revision's number is unknown before it is registered: the pattern covers the revisions of one app's task-definition family";

/** The tag key deploy-kit writes on a release's revision once its outcome is known. */
export const RELEASE_OUTCOME_TAG = "deploy-kit:outcome";

function releaseOutcomeStatement(families: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "MarkReleaseOutcome",
    actions: ["ecs:TagResource"],
    resources: families,
    conditions: { "ForAllValues:StringEquals": { "aws:TagKeys": [RELEASE_OUTCOME_TAG] } },
  });
}

export interface ReleaseRecordsProps {
  readonly stack: cdk.Stack;
  readonly clusterName: string;
  readonly taskFamilies: readonly string[];
  readonly repositories: readonly ecr.IRepository[];
  readonly imageParameters: readonly ssm.IStringParameter[];
}

/**
 * What `deploy-kit reconcile` needs, for a role that does not release: see which revision each
 * service runs, record its image in the app's parameter, mark the release succeeded, and tag the
 * image as released. The infra workflow runs it before `cdk deploy`, so that CloudFormation reads
 * the image that runs. Returns each statement with the reason of its wildcard, if it has one.
 */
export function releaseRecordStatements(props: ReleaseRecordsProps): ReasonedStatement[] {
  const arn = (service: string, resource: string, resourceName: string) =>
    props.stack.formatArn({ service, resource, resourceName });
  const families = props.taskFamilies.map((family) => arn("ecs", "task-definition", `${family}:*`));
  return [
    {
      statement: new iam.PolicyStatement({
        sid: "ReadServices",
        actions: ["ecs:DescribeServices"],
        resources: [arn("ecs", "service", `${props.clusterName}/*`)],
      }),
      wildcardReason: "the services of this cluster: the pattern covers this cluster's only",
    },
    {
      statement: new iam.PolicyStatement({
        sid: "ReadTaskDefinitions",
        actions: ["ecs:DescribeTaskDefinition"],
        resources: ["*"],
      }),
      wildcardReason:
        "ecs:DescribeTaskDefinition supports no resource-level permission; it only reads task definitions",
    },
    { statement: releaseOutcomeStatement(families), wildcardReason: FAMILY_WILDCARD_REASON },
    {
      statement: new iam.PolicyStatement({
        sid: "RecordReleasedImage",
        actions: ["ssm:GetParameter", "ssm:PutParameter"],
        resources: props.imageParameters.map((parameter) => parameter.parameterArn),
      }),
    },
    {
      // The release-<time> tag on the image found running: PutImage of the manifest it has.
      statement: new iam.PolicyStatement({
        sid: "TagReleasedImage",
        actions: ["ecr:BatchGetImage", "ecr:PutImage"],
        resources: props.repositories.map((repository) => repository.repositoryArn),
      }),
    },
  ];
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding of each wildcard resource of `statements` on
 * `policy`, with the statement's reason. A wildcard without a reason is a bug here, and so are two
 * statements whose wildcards give one finding id: the acknowledgement covers the whole policy, so
 * one reason would stand for both statements (put each in its own policy: attachStatements).
 */
export function acknowledgeWildcards(
  policy: Construct,
  statements: readonly ReasonedStatement[],
): void {
  const stack = cdk.Stack.of(policy);
  const acknowledged = new Map<string, { reason: string; sid: string | undefined }>();
  for (const { statement, wildcardReason } of statements) {
    for (const resource of statement.resources) {
      const flat = flatten(stack.resolve(resource));
      if (!flat.includes("*")) continue;
      if (!wildcardReason) {
        throw new Error(`internal: statement ${statement.sid} has a wildcard without a reason`);
      }
      const id = `AwsSolutions-IAM5[Resource::${flat}]`;
      const other = acknowledged.get(id);
      if (other && other.sid !== statement.sid) {
        throw new Error(
          `internal: statements ${other.sid} and ${statement.sid} of ${policy.node.path} share the cdk-nag finding ${id}, so one acknowledgement reason would cover both: put each in its own policy (attachStatements)`,
        );
      }
      acknowledged.set(id, { reason: wildcardReason, sid: statement.sid });
    }
  }
  for (const [id, { reason }] of acknowledged) {
    cdk.Validations.of(policy).acknowledge({ id, reason });
  }
}

/** A resolved CloudFormation value as cdk-nag prints it in a finding id. */
export function flatten(value: unknown): string {
  if (typeof value === "string") return value.replace(/\$\{/g, "<").replace(/\}/g, ">");
  if (value && typeof value === "object") {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node["Fn::Join"])) {
      const [delimiter, items] = node["Fn::Join"] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (Array.isArray(node["Fn::GetAtt"])) {
      const [resource, attribute] = node["Fn::GetAtt"] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ("Ref" in node) return `<${flatten(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

function validate(scope: Construct, props: GitHubDeployRoleProps): void {
  const { owner, repo } = props.github;
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(owner)) {
    throw new InfraValidationError(
      scope,
      "github.owner",
      owner,
      "is not a GitHub user or organization name",
      'set github.owner in platform.config.json to the owner of the repository, for example "example"',
    );
  }
  if (!/^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/.test(repo)) {
    throw new InfraValidationError(
      scope,
      "github.repo",
      repo,
      "is not a GitHub repository name",
      'set github.repo in platform.config.json to the repository name, for example "platform"',
    );
  }
  for (const [field, id] of [
    ["github.ownerId", props.github.ownerId],
    ["github.repositoryId", props.github.repositoryId],
  ] as const) {
    if (id !== undefined && !/^\d{1,20}$/.test(id)) {
      throw new InfraValidationError(
        scope,
        field,
        id,
        "is not a GitHub id (a string of digits)",
        `set ${field} in platform.config.json to the output of \`gh api repos/${owner}/${repo} --jq ${field === "github.ownerId" ? ".owner.id" : ".id"}\`, or remove it`,
      );
    }
  }
  if (!/^[a-z][a-z0-9-]*$/.test(props.environment)) {
    throw new InfraValidationError(
      scope,
      "environment",
      props.environment,
      "is not an environment name",
      "use the environment's name from platform.config.json, such as staging",
    );
  }
  if (Object.keys(props.requiredTaskDefinitionTags).length === 0) {
    throw new InfraValidationError(
      scope,
      "requiredTaskDefinitionTags",
      props.requiredTaskDefinitionTags,
      "is empty, which would let the role register any task definition",
      "require at least the project and environment tags",
    );
  }
}

/**
 * The CloudFormation execution policy for `cdk bootstrap --cloudformation-execution-policies`:
 * what CloudFormation may do when it deploys this platform's stacks, instead of the
 * AdministratorAccess that bootstrap gives it when no policy is named.
 *
 * The policy is generated from RESOURCE_PERMISSIONS, a table keyed by every CloudFormation
 * resource type the stacks synthesize; a test synthesizes every variant of the platform and fails
 * when a template holds a type the table does not cover. Names the platform chooses (ECR
 * repositories, SSM parameters, log groups, the cluster, task families, IAM roles, which
 * CloudFormation names after the stack) are scoped by ARN to the project's prefix. Resources
 * CloudFormation names at random (load balancers, security groups, subnets...) cannot be scoped
 * by name: their deletes and modifications of existing resources need the `project` tag that
 * every resource of the platform carries (applyPlatformTags).
 *
 * Every role the stacks create must carry the permissions boundary BOUNDARY_POLICY (CDK's
 * `@aws-cdk/core:permissionsBoundary` context applies it to every role): without it,
 * CloudFormation could create a role with any policy and pass it to an EC2 instance, a path to
 * every permission of the account.
 */

/** A statement of an IAM policy document, as IAM reads it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** What the policy is generated for: one account, the regions of its environments. */
export interface PolicyContext {
  /** platform.config.json `project`: the prefix of every name the stacks create. */
  readonly project: string;
  readonly account: string;
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** The regions of the account's environments. */
  readonly regions: readonly string[];
  /** The Route 53 hosted zones of the account's environments. */
  readonly hostedZoneIds: readonly string[];
  /** The CDK bootstrap qualifier. @default "hnb659fds" */
  readonly qualifier?: string;
}

/** Which resources a grant applies to, and under which condition. */
type Scope =
  /** ARNs built from the context. */
  | { arns: (ctx: PolicyContext) => string[] }
  /** Any resource, because the action has no resource-level permission (reads, lists). */
  | { any: string }
  /** Any resource that carries the project's tag (resources CloudFormation names at random). */
  | { taggedAny: true };

interface Grant {
  readonly actions: readonly string[];
  readonly scope: Scope;
}

export interface ResourcePermission {
  /** Why these actions: what CloudFormation calls to create, update and delete the type. */
  readonly why: string;
  readonly grants: readonly Grant[];
}

const DEFAULT_QUALIFIER = "hnb659fds";
/** The name of the permissions boundary every role of the stacks carries. */
export const boundaryPolicyName = (project: string) => `${project}-boundary`;
/** The names of the execution policies, `<project>-cfn-exec-1`, `-2`... */
export const executionPolicyName = (project: string, index: number) =>
  `${project}-cfn-exec-${index + 1}`;
/** IAM's limit on a managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

const arn = (ctx: PolicyContext, service: string, resource: string, global = false): string[] =>
  global
    ? [`arn:${ctx.partition}:${service}::${ctx.account}:${resource}`]
    : ctx.regions.map(
        (region) => `arn:${ctx.partition}:${service}:${region}:${ctx.account}:${resource}`,
      );

const READS_NO_RESOURCE = "Describe and List calls support no resource-level permission";

/** The roles the stacks create: named after their stack, or `<project>-<env>-...` explicitly. */
const projectRoles = (ctx: PolicyContext) => arn(ctx, "iam", `role/${ctx.project}-*`, true);

/**
 * The permissions per CloudFormation resource type. A type missing here fails the test that
 * synthesizes every variant of the platform.
 */
export const RESOURCE_PERMISSIONS: Record<string, ResourcePermission> = {
  "AWS::EC2::VPC": {
    why: "the environment's VPC",
    grants: [
      {
        actions: [
          "ec2:CreateVpc",
          "ec2:ModifyVpcAttribute",
          "ec2:DescribeVpcs",
          "ec2:DescribeVpcAttribute",
          "ec2:CreateTags",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeAccountAttributes",
        ],
        scope: { any: "creates name no resource yet; EC2 describes have no resource ARN" },
      },
      { actions: ["ec2:DeleteVpc", "ec2:DeleteTags"], scope: { taggedAny: true } },
    ],
  },
  "AWS::EC2::Subnet": {
    why: "public and private subnets",
    grants: [
      {
        actions: ["ec2:CreateSubnet", "ec2:ModifySubnetAttribute", "ec2:DescribeSubnets"],
        scope: { any: "the subnet's id is known only after CreateSubnet" },
      },
      { actions: ["ec2:DeleteSubnet"], scope: { taggedAny: true } },
    ],
  },
  "AWS::EC2::RouteTable": {
    why: "a route table per subnet",
    grants: [
      {
        actions: ["ec2:CreateRouteTable", "ec2:DescribeRouteTables"],
        scope: { any: "the table's id is known only after CreateRouteTable" },
      },
      { actions: ["ec2:DeleteRouteTable"], scope: { taggedAny: true } },
    ],
  },
  "AWS::EC2::Route": {
    why: "default routes to the internet or NAT gateway",
    grants: [
      {
        actions: ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::EC2::SubnetRouteTableAssociation": {
    why: "subnets to their route tables",
    grants: [
      {
        actions: [
          "ec2:AssociateRouteTable",
          "ec2:DisassociateRouteTable",
          "ec2:ReplaceRouteTableAssociation",
        ],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::EC2::InternetGateway": {
    why: "the VPC's internet gateway",
    grants: [
      {
        actions: ["ec2:CreateInternetGateway", "ec2:DescribeInternetGateways"],
        scope: { any: "the gateway's id is known only after it is created" },
      },
      { actions: ["ec2:DeleteInternetGateway"], scope: { taggedAny: true } },
    ],
  },
  "AWS::EC2::VPCGatewayAttachment": {
    why: "the internet gateway to the VPC",
    grants: [
      {
        actions: ["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::EC2::NatGateway": {
    why: "NAT gateways of the private layout",
    grants: [
      {
        actions: ["ec2:CreateNatGateway", "ec2:DescribeNatGateways"],
        scope: { any: "the gateway's id is known only after it is created" },
      },
      { actions: ["ec2:DeleteNatGateway"], scope: { taggedAny: true } },
    ],
  },
  "AWS::EC2::EIP": {
    why: "the NAT gateways' addresses",
    grants: [
      {
        actions: ["ec2:AllocateAddress", "ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"],
        scope: { any: "the address is known only after AllocateAddress" },
      },
      {
        actions: ["ec2:ReleaseAddress", "ec2:DisassociateAddress", "ec2:AssociateAddress"],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::EC2::FlowLog": {
    why: "the VPC's flow log to CloudWatch Logs",
    grants: [
      {
        actions: ["ec2:CreateFlowLogs", "ec2:DescribeFlowLogs"],
        scope: { any: "the flow log's id is known only after CreateFlowLogs" },
      },
      { actions: ["ec2:DeleteFlowLogs"], scope: { taggedAny: true } },
    ],
  },
  "AWS::EC2::SecurityGroup": {
    why: "security groups of the load balancer, the tasks and the instances",
    grants: [
      {
        actions: ["ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroupRules"],
        scope: { any: "the group's id is known only after CreateSecurityGroup" },
      },
      {
        actions: [
          "ec2:DeleteSecurityGroup",
          "ec2:AuthorizeSecurityGroupIngress",
          "ec2:AuthorizeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupIngress",
          "ec2:RevokeSecurityGroupEgress",
          "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
          "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        ],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::EC2::SecurityGroupIngress": {
    why: "rules between the groups (same actions as AWS::EC2::SecurityGroup)",
    grants: [],
  },
  "AWS::EC2::SecurityGroupEgress": {
    why: "rules between the groups (same actions as AWS::EC2::SecurityGroup)",
    grants: [],
  },
  "AWS::EC2::LaunchTemplate": {
    why: "the EC2 capacity's launch template",
    grants: [
      {
        actions: [
          "ec2:CreateLaunchTemplate",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetLaunchTemplateData",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeKeyPairs",
        ],
        scope: { any: "the template's id is known only after it is created; describes" },
      },
      {
        actions: [
          "ec2:CreateLaunchTemplateVersion",
          "ec2:ModifyLaunchTemplate",
          "ec2:DeleteLaunchTemplate",
          "ec2:DeleteLaunchTemplateVersions",
        ],
        scope: { taggedAny: true },
      },
      {
        // The launch template's image is an SSM public parameter, resolved by CloudFormation.
        actions: ["ssm:GetParameters", "ssm:GetParameter"],
        scope: {
          arns: (ctx) => [
            ...ctx.regions.map(
              (region) =>
                `arn:${ctx.partition}:ssm:${region}::parameter/aws/service/ecs/optimized-ami/*`,
            ),
          ],
        },
      },
    ],
  },
  "AWS::AutoScaling::AutoScalingGroup": {
    why: "the EC2 capacity's group; Auto Scaling launches with the caller's RunInstances and PassRole",
    grants: [
      {
        actions: [
          "autoscaling:CreateAutoScalingGroup",
          "autoscaling:Describe*",
          "autoscaling:CreateOrUpdateTags",
          "ec2:RunInstances",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
        ],
        scope: { any: "the group does not exist before the create call; describes" },
      },
      {
        actions: [
          "autoscaling:UpdateAutoScalingGroup",
          "autoscaling:DeleteAutoScalingGroup",
          "autoscaling:DeleteTags",
          "autoscaling:PutLifecycleHook",
          "autoscaling:DeleteLifecycleHook",
          "autoscaling:SetInstanceProtection",
          "autoscaling:SuspendProcesses",
          "autoscaling:ResumeProcesses",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
          "ec2:TerminateInstances",
        ],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::Logs::LogGroup": {
    why: "the apps' log groups and the flow log group (named after the stack)",
    grants: [
      {
        actions: [
          "logs:CreateLogGroup",
          "logs:DeleteLogGroup",
          "logs:PutRetentionPolicy",
          "logs:DeleteRetentionPolicy",
          "logs:TagResource",
          "logs:UntagResource",
          "logs:TagLogGroup",
          "logs:ListTagsForResource",
          "logs:ListTagsLogGroup",
          "logs:AssociateKmsKey",
          "logs:DisassociateKmsKey",
          "logs:PutDataProtectionPolicy",
          "logs:DeleteDataProtectionPolicy",
        ],
        scope: {
          arns: (ctx) => [
            ...arn(ctx, "logs", `log-group:/ecs/${ctx.project}/*`),
            ...arn(ctx, "logs", `log-group:${ctx.project}-*`),
          ],
        },
      },
      { actions: ["logs:DescribeLogGroups"], scope: { any: READS_NO_RESOURCE } },
    ],
  },
  "AWS::IAM::Role": {
    why: "task, execution, instance, flow-log, custom-resource and GitHub roles; each must carry the boundary",
    grants: [
      {
        actions: [
          "iam:CreateRole",
          "iam:PutRolePolicy",
          "iam:AttachRolePolicy",
          "iam:PutRolePermissionsBoundary",
          "iam:DeleteRolePolicy",
          "iam:DetachRolePolicy",
        ],
        // Only with the boundary: see the Deny statements, which enforce it.
        scope: { arns: projectRoles },
      },
      {
        actions: [
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:GetRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:ListRoleTags",
        ],
        scope: { arns: projectRoles },
      },
      {
        // Services get the stacks' roles: ECS tasks, EC2 instances, the custom resource's
        // Lambda function, VPC flow logs.
        actions: ["iam:PassRole"],
        scope: { arns: projectRoles },
      },
      {
        // The first ECS cluster, load balancer, Auto Scaling group of an account create these.
        actions: ["iam:CreateServiceLinkedRole"],
        scope: {
          arns: (ctx) => [
            `arn:${ctx.partition}:iam::${ctx.account}:role/aws-service-role/ecs.amazonaws.com/*`,
            `arn:${ctx.partition}:iam::${ctx.account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*`,
            `arn:${ctx.partition}:iam::${ctx.account}:role/aws-service-role/autoscaling.amazonaws.com/*`,
            `arn:${ctx.partition}:iam::${ctx.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*`,
          ],
        },
      },
    ],
  },
  "AWS::IAM::Policy": {
    why: "inline policies of the stacks' roles, and the image-parameter read of the CDK deploy role",
    grants: [
      {
        // PlatformStack.grantImageParametersToCdkDeployRole: the bootstrap deploy role resolves
        // the apps' SSM image parameters. See the README: a bootstrap template that grants this
        // itself removes the need.
        actions: ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"],
        scope: {
          arns: (ctx) =>
            ctx.regions.map(
              (region) =>
                `arn:${ctx.partition}:iam::${ctx.account}:role/cdk-${ctx.qualifier ?? DEFAULT_QUALIFIER}-deploy-role-${ctx.account}-${region}`,
            ),
        },
      },
    ],
  },
  "AWS::IAM::InstanceProfile": {
    why: "the EC2 instances' profile",
    grants: [
      {
        actions: [
          "iam:CreateInstanceProfile",
          "iam:DeleteInstanceProfile",
          "iam:AddRoleToInstanceProfile",
          "iam:RemoveRoleFromInstanceProfile",
          "iam:GetInstanceProfile",
          "iam:TagInstanceProfile",
        ],
        scope: { arns: (ctx) => arn(ctx, "iam", `instance-profile/${ctx.project}-*`, true) },
      },
    ],
  },
  "AWS::IAM::OIDCProvider": {
    why: "GitHub's OIDC provider (one per account)",
    grants: [
      {
        actions: [
          "iam:CreateOpenIDConnectProvider",
          "iam:DeleteOpenIDConnectProvider",
          "iam:GetOpenIDConnectProvider",
          "iam:UpdateOpenIDConnectProviderThumbprint",
          "iam:AddClientIDToOpenIDConnectProvider",
          "iam:RemoveClientIDFromOpenIDConnectProvider",
          "iam:TagOpenIDConnectProvider",
          "iam:UntagOpenIDConnectProvider",
        ],
        scope: {
          arns: (ctx) => arn(ctx, "iam", "oidc-provider/token.actions.githubusercontent.com", true),
        },
      },
    ],
  },
  "AWS::Lambda::Function": {
    why: "CDK's custom-resource function that empties the default security group",
    grants: [
      {
        actions: [
          "lambda:CreateFunction",
          "lambda:DeleteFunction",
          "lambda:GetFunction",
          "lambda:GetFunctionConfiguration",
          "lambda:UpdateFunctionCode",
          "lambda:UpdateFunctionConfiguration",
          "lambda:TagResource",
          "lambda:UntagResource",
          "lambda:ListTags",
        ],
        scope: { arns: (ctx) => arn(ctx, "lambda", `function:${ctx.project}-*`) },
      },
      {
        // The function's code is a CDK file asset in the bootstrap bucket.
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        scope: {
          arns: (ctx) =>
            ctx.regions.map(
              (region) =>
                `arn:${ctx.partition}:s3:::cdk-${ctx.qualifier ?? DEFAULT_QUALIFIER}-assets-${ctx.account}-${region}/*`,
            ),
        },
      },
    ],
  },
  "Custom::VpcRestrictDefaultSG": {
    why: "CloudFormation invokes the custom resource's function",
    grants: [
      {
        actions: ["lambda:InvokeFunction"],
        scope: { arns: (ctx) => arn(ctx, "lambda", `function:${ctx.project}-*`) },
      },
    ],
  },
  "AWS::ECS::Cluster": {
    why: "the environment's cluster, named <project>-<env>",
    grants: [
      {
        actions: [
          "ecs:CreateCluster",
          "ecs:DeleteCluster",
          "ecs:UpdateCluster",
          "ecs:UpdateClusterSettings",
          "ecs:PutClusterCapacityProviders",
          "ecs:TagResource",
          "ecs:UntagResource",
        ],
        scope: {
          arns: (ctx) => [
            ...arn(ctx, "ecs", `cluster/${ctx.project}-*`),
            ...arn(ctx, "ecs", "capacity-provider/*"),
            ...arn(ctx, "ecs", `service/${ctx.project}-*/*`),
            ...arn(ctx, "ecs", `task-definition/${ctx.project}-*:*`),
          ],
        },
      },
      {
        actions: [
          "ecs:DescribeClusters",
          "ecs:DescribeCapacityProviders",
          "ecs:DescribeServices",
          "ecs:DescribeTaskDefinition",
          "ecs:ListTagsForResource",
        ],
        scope: { any: READS_NO_RESOURCE },
      },
    ],
  },
  "AWS::ECS::ClusterCapacityProviderAssociations": {
    why: "the cluster's capacity providers (ecs:PutClusterCapacityProviders, with the cluster)",
    grants: [],
  },
  "AWS::ECS::CapacityProvider": {
    why: "the EC2 capacity provider; CloudFormation names it at random",
    grants: [
      {
        actions: [
          "ecs:CreateCapacityProvider",
          "ecs:UpdateCapacityProvider",
          "ecs:DeleteCapacityProvider",
        ],
        scope: { arns: (ctx) => arn(ctx, "ecs", "capacity-provider/*") },
      },
    ],
  },
  "AWS::ECS::TaskDefinition": {
    why: "the first revision of each app's family, <project>-<env>-<app>",
    grants: [
      {
        // RegisterTaskDefinition and DeregisterTaskDefinition support no resource ARN.
        actions: ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"],
        scope: { any: "RegisterTaskDefinition and DeregisterTaskDefinition have no resource" },
      },
    ],
  },
  "AWS::ECS::Service": {
    why: "each app's service in the environment's cluster",
    grants: [
      {
        actions: ["ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService"],
        scope: { arns: (ctx) => arn(ctx, "ecs", `service/${ctx.project}-*/*`) },
      },
    ],
  },
  "AWS::ElasticLoadBalancingV2::LoadBalancer": {
    why: "the environment's load balancer; CloudFormation names it at random",
    grants: [
      {
        actions: [
          "elasticloadbalancing:CreateLoadBalancer",
          "elasticloadbalancing:CreateTargetGroup",
          "elasticloadbalancing:CreateListener",
          "elasticloadbalancing:CreateRule",
          "elasticloadbalancing:AddTags",
          "elasticloadbalancing:Describe*",
        ],
        scope: { any: "created resources have no ARN yet; describes" },
      },
      {
        actions: [
          "elasticloadbalancing:Modify*",
          "elasticloadbalancing:Set*",
          "elasticloadbalancing:Delete*",
          "elasticloadbalancing:RemoveTags",
          "elasticloadbalancing:AddListenerCertificates",
          "elasticloadbalancing:RemoveListenerCertificates",
          "elasticloadbalancing:RegisterTargets",
          "elasticloadbalancing:DeregisterTargets",
        ],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::ElasticLoadBalancingV2::Listener": {
    why: "HTTP and HTTPS listeners (actions with the load balancer)",
    grants: [],
  },
  "AWS::ElasticLoadBalancingV2::ListenerRule": {
    why: "each app's host-header rule (actions with the load balancer)",
    grants: [],
  },
  "AWS::ElasticLoadBalancingV2::TargetGroup": {
    why: "each app's target group (actions with the load balancer)",
    grants: [],
  },
  "AWS::S3::Bucket": {
    why: "the access-log bucket, named after the stack in lower case",
    grants: [
      {
        actions: [
          "s3:CreateBucket",
          "s3:DeleteBucket",
          "s3:PutBucket*",
          "s3:GetBucket*",
          "s3:PutEncryptionConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:PutLifecycleConfiguration",
          "s3:GetLifecycleConfiguration",
          "s3:PutBucketPolicy",
          "s3:DeleteBucketPolicy",
        ],
        scope: { arns: (ctx) => [`arn:${ctx.partition}:s3:::${ctx.project}-*`] },
      },
    ],
  },
  "AWS::S3::BucketPolicy": {
    why: "the access-log bucket's policy (actions with the bucket)",
    grants: [],
  },
  "AWS::CertificateManager::Certificate": {
    why: "the wildcard certificate, validated through DNS records in the hosted zone",
    grants: [
      {
        actions: ["acm:RequestCertificate", "acm:DescribeCertificate", "acm:ListCertificates"],
        scope: { any: "the certificate's ARN is known only after RequestCertificate" },
      },
      {
        actions: [
          "acm:DeleteCertificate",
          "acm:AddTagsToCertificate",
          "acm:RemoveTagsFromCertificate",
        ],
        scope: { taggedAny: true },
      },
    ],
  },
  "AWS::Route53::RecordSet": {
    why: "each app's alias records and the certificate's validation records",
    grants: [
      {
        actions: [
          "route53:ChangeResourceRecordSets",
          "route53:ListResourceRecordSets",
          "route53:GetHostedZone",
        ],
        scope: {
          arns: (ctx) =>
            ctx.hostedZoneIds.map((id) => `arn:${ctx.partition}:route53:::hostedzone/${id}`),
        },
      },
      {
        actions: ["route53:GetChange"],
        scope: { arns: (ctx) => [`arn:${ctx.partition}:route53:::change/*`] },
      },
    ],
  },
  "AWS::ECR::Repository": {
    why: "each app's repository, <project>/<env>/<app>",
    grants: [
      {
        actions: [
          "ecr:CreateRepository",
          "ecr:DeleteRepository",
          "ecr:DescribeRepositories",
          "ecr:PutLifecyclePolicy",
          "ecr:DeleteLifecyclePolicy",
          "ecr:GetLifecyclePolicy",
          "ecr:PutImageScanningConfiguration",
          "ecr:PutImageTagMutability",
          "ecr:SetRepositoryPolicy",
          "ecr:DeleteRepositoryPolicy",
          "ecr:GetRepositoryPolicy",
          "ecr:TagResource",
          "ecr:UntagResource",
          "ecr:ListTagsForResource",
        ],
        scope: { arns: (ctx) => arn(ctx, "ecr", `repository/${ctx.project}/*`) },
      },
    ],
  },
  "AWS::SSM::Parameter": {
    why: "each app's image parameter, /<project>/<env>/<app>/image; and resolving parameter types",
    grants: [
      {
        actions: [
          "ssm:PutParameter",
          "ssm:DeleteParameter",
          "ssm:GetParameter",
          "ssm:GetParameters",
          "ssm:AddTagsToResource",
          "ssm:RemoveTagsFromResource",
          "ssm:ListTagsForResource",
        ],
        scope: {
          arns: (ctx) => [
            ...arn(ctx, "ssm", `parameter/${ctx.project}/*`),
            ...arn(
              ctx,
              "ssm",
              `parameter/cdk-bootstrap/${ctx.qualifier ?? DEFAULT_QUALIFIER}/version`,
            ),
          ],
        },
      },
      { actions: ["ssm:DescribeParameters"], scope: { any: READS_NO_RESOURCE } },
    ],
  },
  "AWS::ApplicationAutoScaling::ScalableTarget": {
    why: "each service's task-count range",
    grants: [
      {
        actions: [
          "application-autoscaling:RegisterScalableTarget",
          "application-autoscaling:DeregisterScalableTarget",
          "application-autoscaling:Describe*",
          "application-autoscaling:TagResource",
          "application-autoscaling:UntagResource",
          "application-autoscaling:ListTagsForResource",
          "cloudwatch:DescribeAlarms",
        ],
        // RegisterScalableTarget and the describes name the ECS service in ResourceId, not in an ARN.
        scope: { any: "scalable targets are addressed by the ECS service's id, not an ARN" },
      },
    ],
  },
  "AWS::ApplicationAutoScaling::ScalingPolicy": {
    why: "target-tracking policies, which create their CloudWatch alarms",
    grants: [
      {
        actions: [
          "application-autoscaling:PutScalingPolicy",
          "application-autoscaling:DeleteScalingPolicy",
        ],
        scope: { any: "policies are addressed by the ECS service's id, not an ARN" },
      },
      {
        // Target tracking names its alarms after the service: service/<cluster>/<service>.
        actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
        scope: {
          arns: (ctx) => arn(ctx, "cloudwatch", `alarm:TargetTracking-service/${ctx.project}-*`),
        },
      },
    ],
  },
  "AWS::WAFv2::WebACL": {
    why: "the optional web ACL, <project>-<env>-web-acl",
    grants: [
      {
        actions: [
          "wafv2:CreateWebACL",
          "wafv2:UpdateWebACL",
          "wafv2:DeleteWebACL",
          "wafv2:GetWebACL",
          "wafv2:TagResource",
          "wafv2:UntagResource",
          "wafv2:ListTagsForResource",
        ],
        scope: {
          arns: (ctx) => [
            ...arn(ctx, "wafv2", `regional/webacl/${ctx.project}-*/*`),
            ...arn(ctx, "wafv2", "regional/managedruleset/*/*"),
          ],
        },
      },
    ],
  },
  "AWS::WAFv2::WebACLAssociation": {
    why: "the web ACL on the load balancer",
    grants: [
      {
        actions: [
          "wafv2:AssociateWebACL",
          "wafv2:DisassociateWebACL",
          "wafv2:GetWebACLForResource",
          "elasticloadbalancing:SetWebAcl",
        ],
        scope: {
          arns: (ctx) => [
            ...arn(ctx, "wafv2", `regional/webacl/${ctx.project}-*/*`),
            ...arn(ctx, "elasticloadbalancing", "loadbalancer/app/*"),
          ],
        },
      },
    ],
  },
};

/** Types that need no permission: CDK's metadata is not deployed as a resource. */
export const TYPES_WITHOUT_PERMISSIONS: ReadonlySet<string> = new Set(["AWS::CDK::Metadata"]);

const boundaryArn = (ctx: PolicyContext) =>
  `arn:${ctx.partition}:iam::${ctx.account}:policy/${boundaryPolicyName(ctx.project)}`;

/**
 * Limits no Allow statement can lift: roles only with the boundary, no edits of the boundary,
 * of the execution policies or of the CDK roles, no users or keys, no assuming roles.
 */
function guardrails(ctx: PolicyContext): PolicyStatement[] {
  const policyArns = [
    boundaryArn(ctx),
    `arn:${ctx.partition}:iam::${ctx.account}:policy/${ctx.project}-cfn-exec-*`,
  ];
  return [
    {
      Sid: "DenyRolesWithoutBoundary",
      Effect: "Deny",
      Action: [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePermissionsBoundary",
      ],
      Resource: projectRoles(ctx),
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": boundaryArn(ctx) } },
    },
    {
      Sid: "DenyBoundaryRemoval",
      Effect: "Deny",
      Action: "iam:DeleteRolePermissionsBoundary",
      Resource: "*",
    },
    {
      Sid: "DenyEditingLimits",
      Effect: "Deny",
      Action: [
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
      ],
      Resource: policyArns,
    },
    {
      Sid: "DenyIdentities",
      Effect: "Deny",
      Action: [
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "sts:AssumeRole",
      ],
      Resource: "*",
    },
    {
      // iam:PassRole only to the services the stacks give roles to.
      Sid: "DenyPassRoleToOtherServices",
      Effect: "Deny",
      Action: "iam:PassRole",
      Resource: "*",
      Condition: {
        StringNotEquals: {
          "iam:PassedToService": [
            "ecs-tasks.amazonaws.com",
            "ec2.amazonaws.com",
            "lambda.amazonaws.com",
            "vpc-flow-logs.amazonaws.com",
          ],
        },
      },
    },
  ];
}

/** Allow statements from the table, one per distinct scope, actions merged and sorted. */
function allowStatements(ctx: PolicyContext): PolicyStatement[] {
  const byScope = new Map<
    string,
    {
      resource: string[];
      condition?: PolicyStatement["Condition"];
      actions: Set<string>;
      sid: string;
    }
  >();
  for (const permission of Object.values(RESOURCE_PERMISSIONS)) {
    for (const grant of permission.grants) {
      let resource: string[];
      let condition: PolicyStatement["Condition"] | undefined;
      let sid: string;
      if ("arns" in grant.scope) {
        resource = [...new Set(grant.scope.arns(ctx))].sort();
        sid = "";
      } else if ("any" in grant.scope) {
        resource = ["*"];
        sid = "NoResourceLevelPermission";
      } else {
        resource = ["*"];
        condition = { StringEquals: { "aws:ResourceTag/project": ctx.project } };
        sid = "TaggedWithProject";
      }
      const key = JSON.stringify([resource, condition]);
      const entry = byScope.get(key) ?? {
        resource,
        ...(condition ? { condition } : {}),
        actions: new Set(),
        sid,
      };
      for (const action of grant.actions) entry.actions.add(action);
      byScope.set(key, entry);
    }
  }
  return [...byScope.values()].map((entry, index) => ({
    Sid: entry.sid || `ProjectResources${index}`,
    Effect: "Allow",
    Action: [...entry.actions].sort(),
    Resource: entry.resource.length === 1 ? (entry.resource[0] as string) : entry.resource,
    ...(entry.condition ? { Condition: entry.condition } : {}),
  }));
}

/** How IAM counts a document against its limit: JSON without whitespace. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).replace(/\s/g, "").length;
}

/**
 * The execution policy documents: the Deny guardrails first, then the Allow statements, packed
 * into as few managed policies as IAM's size limit allows (bootstrap takes a list of ARNs).
 */
export function executionPolicies(ctx: PolicyContext): PolicyDocument[] {
  const documents: PolicyDocument[] = [];
  let current: PolicyDocument = { Version: "2012-10-17", Statement: [] };
  for (const statement of [...guardrails(ctx), ...allowStatements(ctx)]) {
    const candidate: PolicyDocument = { ...current, Statement: [...current.Statement, statement] };
    if (policySize(candidate) <= MANAGED_POLICY_MAX_CHARS || current.Statement.length === 0) {
      current = candidate;
      continue;
    }
    documents.push(current);
    current = { Version: "2012-10-17", Statement: [statement] };
  }
  if (current.Statement.length > 0) documents.push(current);
  return documents;
}

/**
 * The permissions boundary of every role the stacks create: what any of them may ever do. It
 * allows the services the apps and the platform use and denies the IAM actions that would lift
 * a role out of it. An app whose task role needs another service adds it here.
 */
export function boundaryPolicy(ctx: PolicyContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PlatformServices",
        Effect: "Allow",
        Action: [
          "autoscaling:*",
          "cloudformation:Describe*",
          "cloudformation:GetTemplate",
          "cloudwatch:*",
          "dynamodb:*",
          "ec2:*",
          "ecr:*",
          "ecs:*",
          "elasticloadbalancing:Describe*",
          "events:*",
          "kms:Decrypt",
          "logs:*",
          "s3:*",
          "secretsmanager:GetSecretValue",
          "secretsmanager:DescribeSecret",
          "sqs:*",
          "ssm:GetParameter*",
          "ssm:PutParameter",
          "sts:AssumeRole",
          "sts:GetCallerIdentity",
          "xray:*",
        ],
        Resource: "*",
      },
      {
        // The infra and deploy roles pass the stacks' own roles, and only those.
        Sid: "PassProjectRoles",
        Effect: "Allow",
        Action: ["iam:PassRole", "iam:GetRole"],
        Resource: projectRoles(ctx),
      },
      {
        Sid: "NoEscalation",
        Effect: "Deny",
        Action: [
          "iam:CreateUser",
          "iam:CreateAccessKey",
          "iam:CreateRole",
          "iam:PutRolePolicy",
          "iam:AttachRolePolicy",
          "iam:DeleteRolePermissionsBoundary",
          "iam:PutRolePermissionsBoundary",
          "iam:CreatePolicyVersion",
          "iam:SetDefaultPolicyVersion",
        ],
        Resource: "*",
      },
    ],
  };
}

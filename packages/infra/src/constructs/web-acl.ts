import * as cdk from "aws-cdk-lib";
import type * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";

/** Requests one IP address may send in the evaluation window when the config says nothing. */
export const DEFAULT_RATE_LIMIT = 2000;
/** The rate rule's window: 5 minutes, WAF's default, which DEFAULT_RATE_LIMIT is meant for. */
export const RATE_WINDOW_SECONDS = 300;
/** The managed group's rule that blocks request bodies over 8 KB (uploads, large JSON). */
export const BODY_SIZE_RULE = "SizeRestrictions_BODY";

export interface WebAclProps {
  /** The load balancer the web ACL protects. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Prefix of the web ACL's name and CloudWatch metric names, such as `platform-staging`. */
  readonly name: string;
  /**
   * Requests one IP address may send in 5 minutes; more are blocked until its rate drops. WAF
   * accepts 10 to 2,000,000,000.
   *
   * @default 2000 (DEFAULT_RATE_LIMIT)
   */
  readonly rateLimit?: number;
  /**
   * Count instead of block the common rule set's SizeRestrictions_BODY matches (bodies over 8 KB),
   * for apps that accept uploads or large JSON.
   *
   * @default false: such requests are blocked
   */
  readonly allowLargeBodies?: boolean;
}

/**
 * An AWS WAF web ACL on the environment's load balancer: the AWS managed common rule set (OWASP
 * top-10 style patterns, bad bots' user agents, oversized requests) and a rate limit per client
 * IP. Requests no rule blocks are allowed. Billed per web ACL, rule and million requests (see
 * the README), which is why the platform turns it on only when the config asks.
 */
export class WebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly association: wafv2.CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? DEFAULT_RATE_LIMIT;
    if (
      !cdk.Token.isUnresolved(rateLimit) &&
      (!Number.isInteger(rateLimit) || rateLimit < 10 || rateLimit > 2_000_000_000)
    ) {
      throw new InfraValidationError(
        this,
        "rateLimit",
        rateLimit,
        "is not a WAF rate limit: a whole number of requests per 5 minutes from 10 to 2000000000",
        `set waf.rateLimit to a number such as ${DEFAULT_RATE_LIMIT}`,
      );
    }
    const visibility = (metric: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${props.name}-${metric}`,
      sampledRequestsEnabled: true,
    });

    this.webAcl = new wafv2.CfnWebACL(this, "WebAcl", {
      name: `${props.name}-web-acl`,
      description: `${props.name}: AWS managed common rule set and a rate limit per IP`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("waf"),
      rules: [
        {
          name: "AWSManagedRulesCommonRuleSet",
          priority: 0,
          // The group's own actions apply (block); none are turned into count here.
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: "AWS",
              name: "AWSManagedRulesCommonRuleSet",
              ...(props.allowLargeBodies
                ? { ruleActionOverrides: [{ name: BODY_SIZE_RULE, actionToUse: { count: {} } }] }
                : {}),
            },
          },
          visibilityConfig: visibility("common"),
        },
        {
          name: "RateLimitPerIp",
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: rateLimit,
              // The client's address as the load balancer sees it: X-Forwarded-For can be forged.
              aggregateKeyType: "IP",
              evaluationWindowSec: RATE_WINDOW_SECONDS,
            },
          },
          visibilityConfig: visibility("rate"),
        },
      ],
    });

    this.association = new wafv2.CfnWebACLAssociation(this, "Association", {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

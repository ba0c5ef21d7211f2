import { Match } from "aws-cdk-lib/assertions";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, test } from "vitest";
import { WebAcl } from "../src/constructs/web-acl.js";
import { only, platformFixture, stackWithVpc } from "./support/platform.js";

describe("the WAF web ACL of an environment", () => {
  test("is off by default: no WAF resource at all", () => {
    // GIVEN / WHEN the default staging platform
    const { stack, template } = platformFixture();
    // THEN
    expect(Object.keys(template.findResources("AWS::WAFv2::WebACL"))).toEqual([]);
    template.resourceCountIs("AWS::WAFv2::WebACLAssociation", 0);
    expect(stack.webAcl).toBeUndefined();
  });

  test("when enabled: the common rule set and a rate limit per IP, on the load balancer", () => {
    // GIVEN staging with waf on and the default limit
    const { stack, template } = platformFixture({
      environment: { waf: { rateLimit: 2000, allowLargeBodies: false } },
    });

    // THEN one regional web ACL that allows by default and has exactly two rules
    const { id, resource } = only(template, "AWS::WAFv2::WebACL");
    expect(resource.Properties).toMatchObject({
      Name: "platform-staging-web-acl",
      Scope: "REGIONAL",
      DefaultAction: { Allow: {} },
    });
    expect(resource.Properties.Rules).toEqual([
      {
        Name: "AWSManagedRulesCommonRuleSet",
        Priority: 0,
        OverrideAction: { None: {} },
        Statement: {
          ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" },
        },
        VisibilityConfig: {
          CloudWatchMetricsEnabled: true,
          MetricName: "platform-staging-common",
          SampledRequestsEnabled: true,
        },
      },
      {
        Name: "RateLimitPerIp",
        Priority: 1,
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: { Limit: 2000, AggregateKeyType: "IP", EvaluationWindowSec: 300 },
        },
        VisibilityConfig: {
          CloudWatchMetricsEnabled: true,
          MetricName: "platform-staging-rate",
          SampledRequestsEnabled: true,
        },
      },
    ]);
    // AND one association, of that ACL with the environment's load balancer
    template.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
    template.hasResourceProperties("AWS::WAFv2::WebACLAssociation", {
      ResourceArn: stack.resolve(stack.loadBalancerConstruct.loadBalancer.loadBalancerArn),
      WebACLArn: { "Fn::GetAtt": [id, "Arn"] },
    });
  });

  test("cdk-nag AwsSolutions: a platform with the web ACL has no finding", () => {
    const { stack } = platformFixture({
      environment: { waf: { rateLimit: 2000, allowLargeBodies: false } },
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  test("allowLargeBodies counts the common rule set's body-size rule instead of blocking", () => {
    const { template } = platformFixture({
      environment: { waf: { rateLimit: 500, allowLargeBodies: true } },
    });
    template.hasResourceProperties("AWS::WAFv2::WebACL", {
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({
              RuleActionOverrides: [{ Name: "SizeRestrictions_BODY", ActionToUse: { Count: {} } }],
            }),
          },
        }),
        Match.objectLike({
          Statement: { RateBasedStatement: Match.objectLike({ Limit: 500 }) },
        }),
      ]),
    });
  });

  test.each([5, 1.5, 3_000_000_000])("refuses the rate limit %s, naming the fix", (rateLimit) => {
    // GIVEN a load balancer and a bad limit
    const { stack, vpc } = stackWithVpc("Waf");
    const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, "Alb", { vpc });
    // WHEN / THEN
    expect(() => new WebAcl(stack, "WebAcl", { loadBalancer, name: "p-s", rateLimit })).toThrow(
      new RegExp(
        `rateLimit = ${rateLimit}: is not a WAF rate limit.*Fix: set waf.rateLimit to a number such as 2000`,
      ),
    );
  });
});

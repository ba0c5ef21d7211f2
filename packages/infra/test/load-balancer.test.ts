import { rmSync } from "node:fs";
import { loadPlatform } from "@repo/platform-config/load";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as route53 from "aws-cdk-lib/aws-route53";
import { beforeAll, describe, expect, test } from "vitest";
import { LoadBalancer, NOT_FOUND_BODY } from "../src/constructs/load-balancer.js";
import { addPlatformStack, awsEnvironments } from "../src/platform-app.js";
import { newApp, only, platformFixture, stackWithVpc } from "./support/platform.js";

describe("LoadBalancer in the platform stack", () => {
  let fixture: ReturnType<typeof platformFixture>;
  beforeAll(() => {
    // GIVEN the default staging platform
    fixture = platformFixture();
  });

  test("one internet-facing IPv4 ALB in the public subnets, invalid headers dropped, access logged", () => {
    // THEN
    const { template } = fixture;
    template.resourceCountIs("AWS::ElasticLoadBalancingV2::LoadBalancer", 1);
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      Scheme: "internet-facing",
      Type: "application",
      IpAddressType: "ipv4",
      Subnets: [
        { Ref: Match.stringLikeRegexp("^NetworkVpcPublicSubnet1") },
        { Ref: Match.stringLikeRegexp("^NetworkVpcPublicSubnet2") },
      ],
      LoadBalancerAttributes: Match.arrayWith([
        { Key: "deletion_protection.enabled", Value: "false" },
        { Key: "routing.http.drop_invalid_header_fields.enabled", Value: "true" },
        { Key: "access_logs.s3.enabled", Value: "true" },
        {
          Key: "access_logs.s3.bucket",
          Value: { Ref: Match.stringLikeRegexp("AccessLogsBucket") },
        },
        { Key: "access_logs.s3.prefix", Value: "alb" },
      ]),
    });
  });

  test("the security group admits 80 and 443 from anywhere and talks to the VPC only", () => {
    const { template } = fixture;
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      GroupDescription: "Public load balancer: HTTP and HTTPS from anywhere",
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 80, ToPort: 80 }),
      ],
      SecurityGroupEgress: [
        Match.objectLike({
          CidrIp: { "Fn::GetAtt": [Match.stringLikeRegexp("^NetworkVpc"), "CidrBlock"] },
          IpProtocol: "tcp",
          FromPort: 0,
          ToPort: 65535,
        }),
      ],
    });
  });

  test("HTTPS uses the TLS 1.3 post-quantum policy and the wildcard certificate, and answers 404", () => {
    const { template } = fixture;
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      SslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp("Certificate") } }],
      DefaultActions: [
        {
          Type: "fixed-response",
          FixedResponseConfig: {
            StatusCode: "404",
            ContentType: "application/json",
            MessageBody: NOT_FOUND_BODY,
          },
        },
      ],
    });
    expect(JSON.parse(NOT_FOUND_BODY)).toEqual({
      error: { code: "not_found", message: "No app is served at this host name." },
    });
  });

  test("HTTP redirects permanently to HTTPS", () => {
    fixture.template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 80,
      Protocol: "HTTP",
      DefaultActions: [
        {
          Type: "redirect",
          RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" },
        },
      ],
    });
  });

  test("the certificate covers *.<domain> and <domain>, validated in the hosted zone", () => {
    fixture.template.hasResourceProperties("AWS::CertificateManager::Certificate", {
      DomainName: "*.staging.example.com",
      SubjectAlternativeNames: ["staging.example.com"],
      ValidationMethod: "DNS",
      // *.<domain> and <domain> share one validation record, so CDK lists the zone once
      DomainValidationOptions: [
        { DomainName: "staging.example.com", HostedZoneId: "Z0000000000STAGING" },
      ],
    });
  });

  test("access logs go to an encrypted, private, TLS-only bucket that expires them after 90 days", () => {
    const { template } = fixture;
    const { id, resource } = only(template, "AWS::S3::Bucket");
    expect(resource.DeletionPolicy).toBe("Retain");
    expect(resource.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: "ExpireAccessLogs",
            Status: "Enabled",
            ExpirationInDays: 90,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
    // AND the bucket policy refuses plain HTTP and lets the load balancer's log delivery write
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Effect: "Allow",
            Action: "s3:PutObject",
            Principal: { AWS: Match.stringLikeRegexp("156460612806") },
            Resource: Match.objectLike({
              "Fn::Join": [
                "",
                Match.arrayWith([Match.stringLikeRegexp("/alb/AWSLogs/111111111111/\\*$")]),
              ],
            }),
          }),
        ]),
      },
    });
  });

  test("the last environment (prod) is protected from deletion by default, the others are not", () => {
    // GIVEN the template's platform.config.json: staging, then prod
    const root = writeTemplateRepo();
    try {
      const loaded = loadPlatform({ cwd: root });
      const app = newApp();
      // WHEN each environment's platform stack is built
      const stacks = awsEnvironments(loaded).map((environment) =>
        addPlatformStack(app, loaded, environment),
      );
      const protection = stacks.map((stack) => {
        const { resource } = only(
          Template.fromStack(stack),
          "AWS::ElasticLoadBalancingV2::LoadBalancer",
        );
        const attributes = resource.Properties.LoadBalancerAttributes as Array<{
          Key: string;
          Value: string;
        }>;
        const value = attributes.find((entry) => entry.Key === "deletion_protection.enabled");
        return [stack.resources.environment, value?.Value];
      });
      // THEN only prod's load balancer refuses deletion
      expect(protection).toEqual([
        ["staging", "false"],
        ["prod", "true"],
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("the environment's loadBalancer settings choose deletion protection and log retention", () => {
    // GIVEN staging with both settings
    const { template } = platformFixture({
      environment: { loadBalancer: { deletionProtection: true, accessLogRetentionDays: 30 } },
    });
    // THEN the load balancer refuses deletion and its logs expire after 30 days
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: "deletion_protection.enabled", Value: "true" },
      ]),
    });
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Id: "ExpireAccessLogs", ExpirationInDays: 30 })],
      },
    });
  });

  test("deletion protection is a prop", () => {
    // GIVEN / WHEN a platform with deletion protection on
    const { template } = platformFixture({ loadBalancerDeletionProtection: true });

    // THEN the load balancer carries it
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: "deletion_protection.enabled", Value: "true" },
      ]),
    });
  });

  test.each([
    [
      "zero retention days",
      { accessLogRetentionDays: 0 },
      /accessLogRetentionDays = 0: must be a whole number of days/,
    ],
    [
      "a malformed domain",
      { domain: "Example.COM" },
      /domain = "Example.COM": is not a DNS domain/,
    ],
  ])("refuses %s", (_name, props, message) => {
    // GIVEN a stack and bad props
    const { stack, vpc } = stackWithVpc("Lb");
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, "Zone", {
      hostedZoneId: "Z1",
      zoneName: "example.com",
    });

    // WHEN / THEN
    expect(
      () =>
        new LoadBalancer(stack, "LoadBalancer", {
          vpc,
          domain: "example.com",
          hostedZone,
          ...props,
        }),
    ).toThrow(message);
  });
});

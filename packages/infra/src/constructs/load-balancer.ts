import * as cdk from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as route53 from "aws-cdk-lib/aws-route53";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";

/**
 * The TLS policy of the HTTPS listener: the one AWS recommends for new listeners (and the
 * console's default): TLS 1.3 and 1.2 only, no CBC ciphers, with hybrid post-quantum key
 * exchange (ML-KEM) for clients that offer it and classical key exchange for those that do not.
 */
export const TLS_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ;

/** What the HTTPS listener answers for a host name no app claims. */
export const NOT_FOUND_BODY = JSON.stringify({
  error: { code: "not_found", message: "No app is served at this host name." },
});

export interface LoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** Apps live at <subdomain>.<domain>; the certificate covers *.<domain> and <domain>. */
  readonly domain: string;
  /** The public hosted zone of `domain`: the certificate is validated through it. */
  readonly hostedZone: route53.IHostedZone;
  /**
   * Whether the load balancer refuses to be deleted (also by `cdk destroy`) until this is set to
   * false and deployed. Worth turning on for a production environment.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * How long access logs are kept in their bucket, in days.
   *
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
}

/**
 * The one internet-facing Application Load Balancer of an environment: HTTP redirects to HTTPS,
 * and the HTTPS listener (TLS 1.3 policy, wildcard certificate) answers 404 until an app's
 * service adds a host-header rule to it.
 */
export class LoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly certificate: acm.Certificate;
  public readonly httpsListener: elbv2.ApplicationListener;
  public readonly httpListener: elbv2.ApplicationListener;
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const retentionDays = props.accessLogRetentionDays ?? 90;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new InfraValidationError(
        this,
        "accessLogRetentionDays",
        retentionDays,
        "must be a whole number of days, at least 1",
        "set accessLogRetentionDays to a number of days such as 90",
      );
    }
    if (!cdk.Token.isUnresolved(props.domain) && !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(props.domain)) {
      throw new InfraValidationError(
        this,
        "domain",
        props.domain,
        "is not a DNS domain",
        'set the domain to a lower-case name such as "example.com"',
      );
    }

    // IPv4 only. A dualstack load balancer would also need an IPv6 range on the VPC, IPv6 in
    // every subnet and AAAA records per app, while every client reaches it over IPv4 anyway and
    // the tasks need IPv4 regardless (ECR and CloudWatch Logs over their public IPs). Dualstack
    // stays a later change: ipAddressType, the VPC's IPv6 block and ::/0 rules below.
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: "Public load balancer: HTTP and HTTPS from anywhere",
      // The load balancer only talks to targets inside the VPC: no egress to the internet.
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS from anywhere");
    this.securityGroup.addIngressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(80),
      "HTTP from anywhere, redirected to HTTPS",
    );
    cdk.Validations.of(this.securityGroup.node.defaultChild as ec2.CfnSecurityGroup).acknowledge({
      id: "AwsSolutions-EC23",
      reason:
        "The internet-facing load balancer serves the apps to everyone: 443, and 80 only to redirect to HTTPS. Targets admit traffic from this group only.",
    });
    // Targets (Fargate tasks on their container port, EC2 instances on dynamic ports) sit in the
    // VPC; each target's own security group decides what it admits from this group.
    this.securityGroup.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.allTcp(),
      "To targets inside the VPC",
    );

    this.accessLogsBucket = new s3.Bucket(this, "AccessLogsBucket", {
      // ALB access logs support SSE-S3 only (not SSE-KMS).
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [
        {
          id: "ExpireAccessLogs",
          expiration: cdk.Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: cdk.Duration.days(1),
        },
      ],
      // Access logs may be evidence: deleting the stack keeps them (they expire on their own).
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });

    cdk.Validations.of(this.accessLogsBucket.node.defaultChild as s3.CfnBucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "This bucket is the destination of access logs: logging reads of it would need another bucket for logs of logs. Its policy admits only the load balancer's log delivery, and TLS only.",
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, "LoadBalancer", {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: this.securityGroup,
      ipAddressType: elbv2.IpAddressType.IPV4,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? false,
    });
    // Adds the bucket policy that lets the region's log delivery write (needs an explicit region).
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, "alb");

    this.certificate = new acm.Certificate(this, "Certificate", {
      domainName: `*.${props.domain}`,
      subjectAlternativeNames: [props.domain],
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
    });

    this.httpsListener = this.loadBalancer.addListener("Https", {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [this.certificate],
      sslPolicy: TLS_POLICY,
      // The security group above already admits 443; do not let CDK add a second rule.
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: "application/json",
        messageBody: NOT_FOUND_BODY,
      }),
    });

    this.httpListener = this.loadBalancer.addListener("Http", {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({
        protocol: "HTTPS",
        port: "443",
        permanent: true,
      }),
    });
  }
}

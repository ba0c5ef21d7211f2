/**
 * An estimate of what one environment of the default platform costs a month on AWS, line by
 * line, for three layouts: the default (public subnets, apps on Fargate), private subnets with
 * a NAT gateway per zone, and the apps on the EC2 capacity provider. App sizes and task counts
 * come from the manifests (apps/*\/deploy.json, resolved for the environment); traffic and log
 * volumes are assumptions, named below. On-demand prices, no free tier, no Savings Plans.
 * Run: npm run bench -w @repo/infra            (staging)
 *      npx tsx bench/cost.ts prod              (another environment of platform.config.json)
 */
import { fileURLToPath } from "node:url";
import { loadPlatform } from "@repo/platform-config/load";
import { type ResolvedApp, resolveEnvironment } from "@repo/platform-config/resolve";
import { DEFAULT_INSTANCE_TYPE } from "../src/constructs/cluster.js";
import { resolvedApps } from "../src/platform-app.js";
import { INSTANCE_TYPES, registeredMemoryMiB } from "../src/validation/ec2-instances.js";

/**
 * US East (N. Virginia), us-east-1, taken on 2026-11-25 (eu-west-1 is about 5 to 12 % higher for
 * most lines). Each price names the AWS pricing page it is listed on; "verified" means the figure
 * was checked against a 2026 page quoting that AWS page, "assumed" that it was not.
 */
const PRICES = {
  albHour: {
    usd: 0.0225,
    page: "https://aws.amazon.com/elasticloadbalancing/pricing/",
    verified: true,
  },
  lcuHour: {
    usd: 0.008,
    page: "https://aws.amazon.com/elasticloadbalancing/pricing/",
    verified: true,
  },
  publicIpv4Hour: {
    usd: 0.005,
    page: "https://aws.amazon.com/vpc/pricing/ (Public IPv4 addresses)",
    verified: true,
  },
  natHour: {
    usd: 0.045,
    page: "https://aws.amazon.com/vpc/pricing/ (NAT gateway)",
    verified: true,
  },
  natGb: {
    usd: 0.045,
    page: "https://aws.amazon.com/vpc/pricing/ (NAT gateway data processed)",
    verified: true,
  },
  fargateVcpuHour: {
    usd: 0.04048,
    page: "https://aws.amazon.com/fargate/pricing/ (Linux/x86)",
    verified: true,
  },
  fargateGbHour: {
    usd: 0.004445,
    page: "https://aws.amazon.com/fargate/pricing/ (Linux/x86)",
    verified: true,
  },
  t3microHour: {
    usd: 0.0104,
    page: "https://aws.amazon.com/ec2/pricing/on-demand/",
    verified: true,
  },
  gp3GbMonth: { usd: 0.08, page: "https://aws.amazon.com/ebs/pricing/", verified: false },
  logsIngestGb: {
    usd: 0.5,
    page: "https://aws.amazon.com/cloudwatch/pricing/ (Logs, Standard)",
    verified: true,
  },
  logsStoreGbMonth: {
    usd: 0.03,
    page: "https://aws.amazon.com/cloudwatch/pricing/ (Logs storage)",
    verified: true,
  },
  metricMonth: {
    usd: 0.3,
    page: "https://aws.amazon.com/cloudwatch/pricing/ (custom metrics, first 10,000)",
    verified: false,
  },
  hostedZoneMonth: { usd: 0.5, page: "https://aws.amazon.com/route53/pricing/", verified: false },
  ecrGbMonth: { usd: 0.1, page: "https://aws.amazon.com/ecr/pricing/", verified: true },
  s3GbMonth: {
    usd: 0.023,
    page: "https://aws.amazon.com/s3/pricing/ (Standard, first 50 TB)",
    verified: false,
  },
  s3PutThousand: {
    usd: 0.005,
    page: "https://aws.amazon.com/s3/pricing/ (PUT requests)",
    verified: false,
  },
  // AWS WAF: the same in every region; a managed rule group counts as one rule, and the AWS
  // managed baseline groups (the common rule set) carry no subscription fee.
  wafWebAclMonth: { usd: 5, page: "https://aws.amazon.com/waf/pricing/ (web ACL)", verified: true },
  wafRuleMonth: { usd: 1, page: "https://aws.amazon.com/waf/pricing/ (rule)", verified: true },
  wafMillionRequests: {
    usd: 0.6,
    page: "https://aws.amazon.com/waf/pricing/ (requests)",
    verified: true,
  },
} as const;

/** Usage the estimate assumes: a small, quiet environment. */
const ASSUME = {
  hoursPerMonth: 730,
  /** Average load balancer capacity units: ~0.5 GB an hour processed or ~12 new connections/s. */
  averageLcu: 0.5,
  /** JSON logs each app writes a month, and VPC flow logs of the whole VPC. */
  appLogsGbPerApp: 1,
  flowLogsGb: 1,
  /** Container Insights: about 40 metrics (cluster, service and task-family dimensions)... */
  containerInsightsMetrics: 40,
  /** ...and its performance log events. */
  containerInsightsLogsGb: 0.5,
  /** Stored image layers per repository, within the lifecycle policy's limits. */
  ecrGbPerRepository: 1,
  /** ALB access logs: GB kept (90-day expiry) and objects written (every 5 minutes per node). */
  accessLogsGbStored: 1.5,
  accessLogObjects: 2 * 12 * 730,
  /** Through the NAT gateways: image pulls, log delivery, AWS API calls. */
  natGb: 5,
  /** Load balancer nodes, one public IPv4 address each: one per zone. */
  albNodes: 2,
  /** gp3 root volume of each instance (the ECS-optimized AMI's size). */
  rootVolumeGb: 30,
  /** Requests the web ACL inspects a month (when `waf` is on): a quiet environment. */
  wafMillionRequests: 1,
  /** The web ACL's rules: the common rule set and the rate limit (constructs/web-acl.ts). */
  wafRules: 2,
};

interface Line {
  item: string;
  detail: string;
  usd: number;
}
type Layout = "public-fargate" | "private-nat" | "public-ec2";

const h = ASSUME.hoursPerMonth;
const price = (key: keyof typeof PRICES) => PRICES[key].usd;

/** How many instances the apps' tasks need when packed onto `type` (first fit, by memory). */
function instancesFor(apps: ResolvedApp[], type: string): number {
  const spec = INSTANCE_TYPES.get(type);
  if (!spec) throw new Error(`no figures for instance type ${type}`);
  const capacity = registeredMemoryMiB(spec);
  const tasks = apps.flatMap((app) => Array.from({ length: app.desiredCount }, () => app.memory));
  const bins: number[] = [];
  for (const memory of tasks.sort((a, b) => b - a)) {
    const bin = bins.findIndex((used) => used + memory <= capacity);
    if (bin === -1) bins.push(memory);
    else bins[bin] = (bins[bin] ?? 0) + memory;
  }
  return bins.length;
}

function estimate(layout: Layout, apps: ResolvedApp[], minInstances: number, waf: boolean): Line[] {
  const tasks = apps.reduce((sum, app) => sum + app.desiredCount, 0);
  const zones = ASSUME.albNodes;
  const lines: Line[] = [
    {
      item: "ALB hours",
      detail: `1 ALB x ${h} h x $${price("albHour")}`,
      usd: h * price("albHour"),
    },
    {
      item: "ALB LCUs",
      detail: `${ASSUME.averageLcu} LCU average x ${h} h x $${price("lcuHour")}`,
      usd: ASSUME.averageLcu * h * price("lcuHour"),
    },
    {
      item: "Public IPv4: ALB",
      detail: `${zones} addresses (one per zone) x ${h} h x $${price("publicIpv4Hour")}`,
      usd: zones * h * price("publicIpv4Hour"),
    },
  ];

  if (layout === "public-ec2") {
    const instances = Math.max(minInstances, instancesFor(apps, DEFAULT_INSTANCE_TYPE));
    const spec = INSTANCE_TYPES.get(DEFAULT_INSTANCE_TYPE);
    const registered = spec ? registeredMemoryMiB(spec) : 0;
    const memories = apps
      .map((app) => `${app.name} ${app.desiredCount} x ${app.memory} MiB`)
      .join(", ");
    // A rolling update starts each new task before the old one stops: one more of the largest.
    const largest = [...apps].sort((a, b) => b.memory - a.memory)[0];
    const rolling = largest
      ? instancesFor([...apps, { ...largest, desiredCount: 1 }], DEFAULT_INSTANCE_TYPE)
      : instances;
    lines.push(
      {
        item: `EC2 ${DEFAULT_INSTANCE_TYPE}`,
        detail: `${instances} instance(s) for ${memories} (~${registered} MiB each; ${rolling} during a rolling update) x ${h} h x $${price("t3microHour")}`,
        usd: instances * h * price("t3microHour"),
      },
      {
        item: "EBS gp3 root volumes",
        detail: `${instances} x ${ASSUME.rootVolumeGb} GB x $${price("gp3GbMonth")}`,
        usd: instances * ASSUME.rootVolumeGb * price("gp3GbMonth"),
      },
      {
        item: "Public IPv4: instances",
        detail: `${instances} x ${h} h x $${price("publicIpv4Hour")} (bridge-mode tasks share it)`,
        usd: instances * h * price("publicIpv4Hour"),
      },
    );
  } else {
    for (const app of apps) {
      const vcpu = app.cpu / 1024;
      const gb = app.memory / 1024;
      const perHour = vcpu * price("fargateVcpuHour") + gb * price("fargateGbHour");
      lines.push({
        item: `Fargate: ${app.name}`,
        detail: `${app.desiredCount} task(s) x (${vcpu} vCPU + ${gb} GB) x ${h} h`,
        usd: app.desiredCount * perHour * h,
      });
    }
    if (layout === "public-fargate") {
      lines.push({
        item: "Public IPv4: tasks",
        detail: `${tasks} task(s) in public subnets x ${h} h x $${price("publicIpv4Hour")}`,
        usd: tasks * h * price("publicIpv4Hour"),
      });
    } else {
      lines.push(
        {
          item: "NAT gateway hours",
          detail: `${zones} gateways (one per zone) x ${h} h x $${price("natHour")}`,
          usd: zones * h * price("natHour"),
        },
        {
          item: "Public IPv4: NAT gateways",
          detail: `${zones} Elastic IPs x ${h} h x $${price("publicIpv4Hour")}`,
          usd: zones * h * price("publicIpv4Hour"),
        },
        {
          item: "NAT data processed",
          detail: `${ASSUME.natGb} GB x $${price("natGb")}`,
          usd: ASSUME.natGb * price("natGb"),
        },
      );
    }
  }

  const logsGb = apps.length * ASSUME.appLogsGbPerApp + ASSUME.flowLogsGb;
  lines.push(
    {
      item: "CloudWatch Logs",
      detail: `${logsGb} GB ingested (apps + flow logs) x $${price("logsIngestGb")} + ~${logsGb} GB stored x $${price("logsStoreGbMonth")}`,
      usd: logsGb * price("logsIngestGb") + logsGb * price("logsStoreGbMonth"),
    },
    {
      item: "Container Insights",
      detail: `~${ASSUME.containerInsightsMetrics} metrics x $${price("metricMonth")} + ${ASSUME.containerInsightsLogsGb} GB events x $${price("logsIngestGb")}`,
      usd:
        ASSUME.containerInsightsMetrics * price("metricMonth") +
        ASSUME.containerInsightsLogsGb * price("logsIngestGb"),
    },
    {
      item: "Route 53 hosted zone",
      detail: `1 zone x $${price("hostedZoneMonth")} (alias queries to the ALB are free)`,
      usd: price("hostedZoneMonth"),
    },
    {
      item: "ECR storage",
      detail: `${apps.length} repositories x ${ASSUME.ecrGbPerRepository} GB x $${price("ecrGbMonth")}`,
      usd: apps.length * ASSUME.ecrGbPerRepository * price("ecrGbMonth"),
    },
    {
      item: "S3 access logs",
      detail: `${ASSUME.accessLogsGbStored} GB x $${price("s3GbMonth")} + ${ASSUME.accessLogObjects} PUTs x $${price("s3PutThousand")}/1000`,
      usd:
        ASSUME.accessLogsGbStored * price("s3GbMonth") +
        (ASSUME.accessLogObjects / 1000) * price("s3PutThousand"),
    },
  );
  if (waf) {
    lines.push({
      item: "WAF web ACL",
      detail: `1 web ACL x $${price("wafWebAclMonth")} + ${ASSUME.wafRules} rules x $${price("wafRuleMonth")} + ${ASSUME.wafMillionRequests} M requests x $${price("wafMillionRequests")}`,
      usd:
        price("wafWebAclMonth") +
        ASSUME.wafRules * price("wafRuleMonth") +
        ASSUME.wafMillionRequests * price("wafMillionRequests"),
    });
  }
  return lines;
}

const total = (lines: Line[]) => lines.reduce((sum, line) => sum + line.usd, 0);
const usd = (value: number) => `$${value.toFixed(2)}`;

function print(title: string, lines: Line[]): void {
  console.log(`\n${title}`);
  for (const line of lines) {
    console.log(`  ${line.item.padEnd(26)} ${usd(line.usd).padStart(8)}  ${line.detail}`);
  }
  console.log(`  ${"total".padEnd(26)} ${usd(total(lines)).padStart(8)} a month`);
}

const environmentName = process.argv[2] ?? "staging";
const loaded = loadPlatform({ cwd: fileURLToPath(new URL("../../..", import.meta.url)) });
const environment = resolveEnvironment(loaded.platform, environmentName, {});
if (environment.kind !== "aws") throw new Error(`${environmentName} is not an AWS environment`);
const apps = resolvedApps(loaded, environment);
const minInstances = environment.ec2?.minInstances ?? 1;

console.log(
  `Monthly cost of environment "${environment.name}" (apps: ${apps.map((app) => `${app.name} ${app.cpu} CPU/${app.memory} MiB x ${app.desiredCount}`).join(", ")})`,
);
console.log(
  "Prices: us-east-1, on-demand, taken 2026-11-25; traffic and log volumes assumed (see ASSUME in bench/cost.ts)",
);
const layouts: Array<[Layout, string]> = [
  ["public-fargate", "Default: public subnets, no NAT, apps on Fargate"],
  ["private-nat", "Private subnets, one NAT gateway per zone, apps on Fargate"],
  [
    "public-ec2",
    `Public subnets, apps on the EC2 capacity provider (${DEFAULT_INSTANCE_TYPE}, bridge mode)`,
  ],
];
if (environment.waf) {
  console.log(
    `WAF is on (rate limit ${environment.waf.rateLimit} requests per 5 minutes per IP): each layout includes its web ACL`,
  );
}
const totals = new Map<Layout, number>();
for (const [layout, title] of layouts) {
  const lines = estimate(layout, apps, minInstances, environment.waf !== undefined);
  totals.set(layout, total(lines));
  print(title, lines);
}
const publicTotal = totals.get("public-fargate") ?? 0;
const natTotal = totals.get("private-nat") ?? 0;
console.log(
  `\nprivate with NAT costs ${usd(natTotal - publicTotal)} a month more than the default (${usd(publicTotal)} vs ${usd(natTotal)})`,
);
console.log("\nprices not verified with a 2026 source (assumed):");
for (const [name, entry] of Object.entries(PRICES)) {
  if (!entry.verified) console.log(`  ${name} $${entry.usd}  ${entry.page}`);
}

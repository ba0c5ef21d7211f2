// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the manifests' placeholder syntax.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// The platform config and sample manifests as the template ships them, frozen. Tests that need a
// realistic repository with known values use this instead of the repository's own files, which
// are the team's to change (npm run setup rewrites the config; the samples may be removed).

export const TEMPLATE_PLATFORM_CONFIG = {
  project: "platform",
  domain: "example.com",
  github: { owner: "example", repo: "platform" },
  environments: {
    local: { edgePort: 8080 },
    staging: {
      account: "111111111111",
      region: "eu-west-1",
      domain: "staging.example.com",
      hostedZoneId: "Z0000000000STAGING",
    },
    prod: { account: "222222222222", region: "eu-west-1", hostedZoneId: "Z00000000000PROD" },
  },
} as const;

export const TEMPLATE_APPS = {
  api: {
    packageJson: { name: "@repo/api", version: "0.1.0" },
    deployJson: {
      subdomain: "api",
      port: 8080,
      healthCheckPath: "/healthz",
      cpu: 256,
      memory: 512,
      desiredCount: 1,
      minCount: 1,
      maxCount: 4,
      capacity: "fargate",
      environment: { LOG_LEVEL: "info", CORS_ORIGINS: "${apps.web.url}" },
      secrets: {},
      environments: { prod: { desiredCount: 2, minCount: 2 } },
    },
  },
  web: {
    packageJson: { name: "@repo/web", version: "0.1.0" },
    deployJson: {
      subdomain: "web",
      port: 8080,
      healthCheckPath: "/healthz",
      cpu: 256,
      memory: 512,
      desiredCount: 1,
      minCount: 1,
      maxCount: 4,
      capacity: "fargate",
      environment: { API_URL: "${apps.api.url}" },
      secrets: {},
      environments: { prod: { desiredCount: 2, minCount: 2 } },
    },
  },
} as const;

/**
 * Writes the template's platform.config.json and the sample apps' deploy.json and package.json
 * into `dir` (default: a new temp folder) and returns it. The caller removes it.
 */
export function writeTemplateRepo(dir?: string): string {
  const root = dir ?? mkdtempSync(path.join(tmpdir(), "template-repo-"));
  const write = (file: string, value: unknown) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${JSON.stringify(value, null, 2)}\n`);
  };
  write("platform.config.json", TEMPLATE_PLATFORM_CONFIG);
  for (const [app, files] of Object.entries(TEMPLATE_APPS)) {
    write(`apps/${app}/package.json`, files.packageJson);
    write(`apps/${app}/deploy.json`, files.deployJson);
  }
  return root;
}

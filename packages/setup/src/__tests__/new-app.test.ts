import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "@repo/test-kit/repo-copy";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import { afterAll, describe, expect, it } from "vitest";
import {
  addDependabotDirectory,
  afterGenerate,
  checkAppName,
  checkPort,
  checkSubdomain,
  nextSteps,
  validateNewApp,
} from "../new-app.js";

// A folder with the template's sample apps, and a package taken by name.
const root = writeTemplateRepo();
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the generator's checks", () => {
  it.each([
    ["billing", true],
    ["Billing", /name = "Billing": is not a valid app name.*Fix: use 1 to 63 lower-case/],
    ["-billing", /is not a valid app name/],
    [
      "api",
      /name = "api": apps\/api already exists\. Fix: choose another name, or remove apps\/api first/,
    ],
  ] as const)("name %j", (name, expected) => {
    const result = checkAppName(root, name);
    if (expected === true) expect(result).toBe(true);
    else expect(result).toMatch(expected as RegExp);
  });

  it("refuses a name whose package is another workspace's", () => {
    expect(checkAppName(repoRoot, "infra")).toBe(
      'name = "infra": the package name @repo/infra is taken by packages/infra. Fix: choose another name',
    );
  });

  it.each([
    ["billing", true],
    ["web", /subdomain = "web": is already the subdomain of app "web" \(apps\/web\/deploy\.json\)/],
    ["bill.ing", /is not a DNS label/],
  ])("subdomain %j", (subdomain, expected) => {
    const result = checkSubdomain(root, subdomain);
    if (expected === true) expect(result).toBe(true);
    else expect(result).toMatch(expected as RegExp);
  });

  it.each([
    ["8080", true],
    [3000, true],
    ["0", /port = "0": is not a TCP port\. Fix: use a whole number between 1 and 65535/],
    ["http", /is not a TCP port/],
    ["80.5", /is not a TCP port/],
  ])("port %j", (port, expected) => {
    const result = checkPort(port);
    if (expected === true) expect(result).toBe(true);
    else expect(result).toMatch(expected as RegExp);
  });

  it("defaults the subdomain to the name and the port to 8080", () => {
    expect(validateNewApp(root, { name: "billing", kind: "service" })).toEqual({
      name: "billing",
      kind: "service",
      subdomain: "billing",
      port: 8080,
      // npm run dev runs every app: not the api's 8080
      devPort: 8081,
    });
  });

  it("reports every bad answer of --args at once", () => {
    expect(() =>
      validateNewApp(root, { name: "api", kind: "lambda", subdomain: "web", port: "99999" }),
    ).toThrow(
      [
        'name = "api": apps/api already exists. Fix: choose another name, or remove apps/api first (README, Remove an app)',
        'kind = "lambda": is not a kind of app the generator knows. Fix: use one of service, web',
        'subdomain = "web": is already the subdomain of app "web" (apps/web/deploy.json). Fix: choose another one: each app needs its own',
        'port = "99999": is not a TCP port. Fix: use a whole number between 1 and 65535, for example 8080',
      ].join("\n"),
    );
  });
});

describe("after the files are written", () => {
  const app = { name: "billing", kind: "service", subdomain: "pay", port: 8080 } as const;

  it("links the workspace with npm install, then writes its deploy workflow", () => {
    // GIVEN a repository with the workflows script
    const dir = mkdtempSync(path.join(tmpdir(), "after-generate-"));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ scripts: { workflows: "x" } }));
    const commands: string[] = [];
    try {
      // WHEN / THEN
      const done = afterGenerate(dir, app, (command, args) => {
        commands.push([command, ...args].join(" "));
        return { status: 0 };
      });
      expect(commands).toEqual([
        "npm install --no-audit --no-fund --prefer-offline",
        "npm run workflows --silent",
      ]);
      expect(done).toEqual([
        "npm install: linked the workspace and recorded it in package-lock.json",
        "npm run workflows: .github/workflows/deploy-billing.yml",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failing npm install says what to run by hand", () => {
    expect(() => afterGenerate(root, app, () => ({ status: 1 }))).toThrow(
      "npm install failed (its output is above): apps/billing is written but not linked. Fix the cause, then run `npm install` and `npm run workflows`.",
    );
  });

  it("prints the next steps with the app's local address", () => {
    expect(nextSteps(app, 18080)).toBe(
      [
        "apps/billing (@repo/billing) is ready. Next:",
        "  npx turbo run test --filter=@repo/billing  # its tests",
        "  npm run dev -- --filter=@repo/billing      # with reload, at http://localhost:8080",
        "  npm run up                                 # every app locally, this one at http://pay.localhost:18080",
        "  git add -A && git commit                   # its deploy workflow runs on the next push to main",
        'README, "Add an app", says what each file is for.',
      ].join("\n"),
    );
  });
});

describe("dependabot.yml", () => {
  it("gets the new app's Dockerfile folder, in order, once", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dependabot-"));
    mkdirSync(path.join(dir, ".github"));
    const file = path.join(dir, ".github/dependabot.yml");
    const before = [
      "  - package-ecosystem: docker",
      "    directories:",
      "      - /apps/api",
      "      - /apps/web",
      "      - /packages/deploy-kit/src/edge",
      "",
    ];
    writeFileSync(file, before.join("\n"));
    try {
      expect(addDependabotDirectory(dir, "billing")).toBe(true);
      expect(addDependabotDirectory(dir, "billing")).toBe(false);
      expect(addDependabotDirectory(dir, "zebra")).toBe(true);
      expect(readFileSync(file, "utf8").split("\n")).toEqual([
        "  - package-ecosystem: docker",
        "    directories:",
        "      - /apps/api",
        "      - /apps/billing",
        "      - /apps/web",
        "      - /apps/zebra",
        "      - /packages/deploy-kit/src/edge",
        "",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what the generator relies on", () => {
  const rootPackage = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  const lock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8"));

  it("turbo and @turbo/gen are pinned to one version, so `turbo gen` runs the local one offline", () => {
    // turbo runs `npx @turbo/gen@<its own version>`: any other installed version means a download
    const turbo = rootPackage.devDependencies.turbo;
    expect(turbo).toMatch(/^\d+\.\d+\.\d+$/);
    expect(rootPackage.devDependencies["@turbo/gen"]).toBe(turbo);
    expect(lock.packages["node_modules/turbo"].version).toBe(turbo);
    expect(lock.packages["node_modules/@turbo/gen"].version).toBe(turbo);
  });

  it("every dependency range of the templates is the samples' own (one version in the lockfile)", () => {
    const templates = path.join(repoRoot, "turbo/generators/templates");
    for (const kind of readdirSync(templates)) {
      const sample = path.join(
        repoRoot,
        "apps",
        kind === "service" ? "api" : "web",
        "package.json",
      );
      if (!existsSync(sample)) continue; // the samples are gone (npm run setup -- --remove-samples)
      const template = readFileSync(path.join(templates, kind, "package.json.hbs"), "utf8");
      const generated = JSON.parse(template.replaceAll("{{name}}", "x"));
      const samplePackage = JSON.parse(readFileSync(sample, "utf8"));
      const known = { ...samplePackage.dependencies, ...samplePackage.devDependencies };
      for (const field of ["dependencies", "devDependencies"]) {
        for (const [name, range] of Object.entries(generated[field] as Record<string, string>)) {
          if (name in known)
            expect(`${kind}: ${name}@${range}`).toBe(`${kind}: ${name}@${known[name]}`);
        }
      }
      expect(Object.keys(generated.scripts).sort()).toEqual(
        Object.keys(samplePackage.scripts).sort(),
      );
    }
  });
});

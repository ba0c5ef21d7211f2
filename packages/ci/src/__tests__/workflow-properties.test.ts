// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ ... }} here is GitHub Actions expressions, not a template
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadPlatform } from "@repo/platform-config/load";
import { githubEnvironments } from "@repo/platform-config/names";
import { environmentNames } from "@repo/platform-config/resolve";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GENERATED_MARKER } from "../template.js";
import { actionOf, jobsOf, readWorkflows, repoRoot, stepsOf, type Yaml } from "./support.js";

// The rules every workflow of .github keeps, beyond what actionlint checks. Each test lists the
// offending workflow#job (and step) so that a failure says where to look.

const workflows = readWorkflows();
const jobs = jobsOf(workflows);
const steps = stepsOf(jobs);
const workflow = (name: string) => {
  const found = workflows.find((w) => w.name === name);
  if (!found) throw new Error(`.github/workflows/${name} is missing`);
  return found;
};
const appWorkflows = workflows.filter(
  (w) => w.text.startsWith(GENERATED_MARKER) && w.name.startsWith("deploy-"),
);
const awsEnvironments = environmentNames(loadPlatform({ cwd: repoRoot }).platform).filter(
  (name) => name !== "local",
);

const runsOf = (job: Yaml): string[] =>
  ((job.steps ?? []) as Yaml[]).map((step) => step.run).filter((run) => typeof run === "string");
const usesAction = (job: Yaml, action: string) =>
  ((job.steps ?? []) as Yaml[]).some((step) => actionOf(step) === action);
/** The jobs of the local reusable workflow a job calls (`uses: ./.github/workflows/x.yml`). */
const calledJobs = (job: Yaml): Yaml[] => {
  const called = workflows.find((w) => job.uses === `./${w.file}`);
  return called ? Object.values(called.doc.jobs ?? {}) : [];
};
/** A job that assumes an AWS role, itself or in the reusable workflow it calls. */
const assumesAwsRole = (job: Yaml): boolean =>
  usesAction(job, "aws-actions/configure-aws-credentials") || calledJobs(job).some(assumesAwsRole);
/** A job that comments on the pull request, itself or in the reusable workflow it calls. */
const comments = (job: Yaml): boolean =>
  runsOf(job).some((run) => run.includes("gh pr comment")) || calledJobs(job).some(comments);

describe("permissions are the least each job needs", () => {
  it("every workflow grants contents: read by default, and nothing more", () => {
    const wrong = workflows
      .filter((w) => JSON.stringify(w.doc.permissions) !== JSON.stringify({ contents: "read" }))
      .map((w) => `${w.name}: ${JSON.stringify(w.doc.permissions)}`);
    expect(wrong).toEqual([]);
  });

  it("a job gets a write permission only for what it does", () => {
    const allowed = (job: Yaml): Record<string, string[]> => ({
      contents: usesAction(job, "changesets/action") ? ["read", "write"] : ["read"],
      "id-token": assumesAwsRole(job) ? ["write"] : [],
      "pull-requests": usesAction(job, "changesets/action") || comments(job) ? ["write"] : [],
    });
    const wrong: string[] = [];
    for (const { job, where } of jobs) {
      const granted = job.permissions ?? {};
      if (typeof granted === "string") wrong.push(`${where}: permissions: ${granted}`);
      for (const [scope, level] of Object.entries(granted)) {
        if (!(allowed(job)[scope] ?? []).includes(level as string)) {
          wrong.push(`${where}: ${scope}: ${level}`);
        }
      }
      // The ones that need it have it.
      if (assumesAwsRole(job) && granted["id-token"] !== "write") {
        wrong.push(`${where}: assumes an AWS role without id-token: write`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("install scripts never run where a token can write", () => {
  /** The jobs that call a workflow (`uses: ./.github/workflows/<file>`). */
  const callersOf = (file: string) => jobs.filter(({ job }) => job.uses === `./${file}`);
  /**
   * The write scopes a job's token may hold: its own, else its workflow's, and, in a reusable
   * workflow, its callers' (a called job gets at most what the calling job was granted, so the
   * caller's grant is what an install script in it could use when the called job names none).
   */
  const writeScopes = (ref: (typeof jobs)[number]): string[] => {
    const own = ref.job.permissions ?? ref.workflow.doc.permissions ?? {};
    const writes = Object.entries(own)
      .filter(([, level]) => level === "write")
      .map(([scope]) => scope);
    if (ref.workflow.doc.on?.workflow_call !== undefined) {
      for (const caller of callersOf(ref.workflow.file)) writes.push(...writeScopes(caller));
    }
    return [...new Set(writes)].sort();
  };
  const installs = jobs.flatMap((ref) =>
    runsOf(ref.job)
      .filter((run) => /\bnpm (ci|install|i)\b/.test(run))
      .map((run) => ({ ...ref, run, writes: writeScopes(ref) })),
  );

  it("every npm ci of a job holding id-token: write or another write token has --ignore-scripts", () => {
    const withToken = installs.filter(({ writes }) => writes.length > 0);
    // The jobs that matter are found, so the rule is not checked on nothing.
    expect(withToken.map((i) => `${i.where} (${i.writes.join(", ")})`)).toEqual(
      expect.arrayContaining([
        "deploy.yml#release (id-token)",
        "infra-deploy.yml#deploy (id-token)",
        "infra-diff.yml#diff (id-token)",
        "release.yml#version (contents, pull-requests)",
      ]),
    );
    const wrong = withToken
      .filter(({ run }) => !/^npm ci --ignore-scripts$/.test(run.trim()))
      .map(({ where, run, writes }) => `${where} (${writes.join(", ")}): ${run}`);
    expect(wrong).toEqual([]);
  });

  it("and every other install too, so that CI runs what the release jobs run (.ci/run included)", () => {
    const wrong = installs.filter(({ run }) => !run.includes("--ignore-scripts"));
    expect(wrong.map(({ where, run }) => `${where}: ${run}`)).toEqual([]);
    const local = readFileSync(path.join(repoRoot, ".ci/run"), "utf8");
    expect(local.match(/^npm ci.*$/gm)).toEqual(["npm ci --ignore-scripts"]);
  });
});

describe("AWS credentials come from GitHub OIDC only", () => {
  const credentials = steps.filter(
    (s) => actionOf(s.step) === "aws-actions/configure-aws-credentials",
  );

  it("every configure-aws-credentials step assumes a role, with no key", () => {
    expect(credentials.length).toBeGreaterThan(0);
    const wrong = credentials
      .filter(
        ({ step }) =>
          !/^\$\{\{ (vars\.AWS_(DEPLOY|INFRA)_ROLE_ARN|steps\.env\.outputs\.infra-diff-role-arn) \}\}$/.test(
            step.with?.["role-to-assume"] ?? "",
          ) ||
          Object.keys(step.with ?? {}).some((input) =>
            ["aws-access-key-id", "aws-secret-access-key", "aws-session-token"].includes(input),
          ),
      )
      .map((s) => `${s.where}: ${JSON.stringify(s.step.with)}`);
    expect(wrong).toEqual([]);
  });

  it("releases and cdk deploy assume their role from inside the GitHub environment (its approvals, its trust)", () => {
    const wrong = credentials
      .filter(({ step }) => /vars\.AWS_(DEPLOY|INFRA)_ROLE_ARN/.test(step.with["role-to-assume"]))
      .filter(({ job }) => !job.environment)
      .map((s) => s.where);
    expect(wrong).toEqual([]);
  });

  it("the pull-request diff uses the read-only diff role, outside any environment", () => {
    const diff = credentials.filter(({ step }) =>
      step.with["role-to-assume"].includes("infra-diff-role-arn"),
    );
    expect(diff.map((s) => s.where)).toEqual(["infra-diff.yml#diff"]);
    expect(diff[0]?.job.environment).toBeUndefined();
    const caller = jobs.filter(({ job }) => job.uses === "./.github/workflows/infra-diff.yml");
    expect(caller.map((c) => c.where)).toEqual(["infra.yml#diff"]);
    expect(caller[0]?.job.if).toContain("github.event_name == 'pull_request'");
  });

  it("app releases and cdk deploy run in separate GitHub environments, which their roles trust", () => {
    // The names come from @repo/platform-config's githubEnvironments, which the roles' trust uses.
    const named = githubEnvironments("${{ inputs.environment }}");
    const environmentOf = (job: Yaml): string | undefined =>
      typeof job.environment === "object" ? job.environment?.name : job.environment;
    expect(environmentOf(workflow("deploy.yml").doc.jobs.release)).toBe(named.release);
    expect(environmentOf(workflow("infra-deploy.yml").doc.jobs.deploy)).toBe(named.infra);
    const infraEnvironments = jobs
      .filter(({ job }) => /-infra$/.test(environmentOf(job) ?? ""))
      .map(({ where }) => where);
    expect(infraEnvironments).toEqual(["infra-deploy.yml#deploy"]);
    // One concurrency group per AWS environment still serializes both (see "releases").
    expect(workflow("infra-deploy.yml").doc.jobs.deploy.concurrency.group).toBe(
      "aws-${{ inputs.environment }}",
    );
  });

  it("no workflow names an AWS key or secret", () => {
    const wrong = workflows
      .filter((w) =>
        /aws-access-key-id|aws-secret-access-key|AWS_SECRET|secrets\.AWS/i.test(w.text),
      )
      .map((w) => w.name);
    expect(wrong).toEqual([]);
  });
});

describe("releases", () => {
  const deploy = workflow("deploy.yml");
  const [releaseId, release] = Object.entries(deploy.doc.jobs)[0] as [string, Yaml];

  it("deploy.yml is the reusable release of one app to one environment", () => {
    expect(Object.keys(deploy.doc.on)).toEqual(["workflow_call"]);
    expect(Object.keys(deploy.doc.on.workflow_call.inputs)).toEqual([
      "app",
      "environment",
      "archive-sha256",
      "image-id",
    ]);
    expect(Object.keys(deploy.doc.jobs)).toEqual([releaseId]);
  });

  it("a release and a cdk deploy of one environment never overlap: one group, queued in order, never cancelled", () => {
    const serialized = {
      group: "aws-${{ inputs.environment }}",
      "cancel-in-progress": false,
      queue: "max",
    };
    expect(release.concurrency).toEqual(serialized);
    const infraDeploy = workflow("infra-deploy.yml").doc.jobs.deploy;
    expect(infraDeploy.concurrency).toEqual(serialized);
  });

  it("the pull-request diff compares templates only: no change set, no CDK bootstrap role", () => {
    const runs: string[] = Object.values(workflow("infra-diff.yml").doc.jobs).flatMap((job) =>
      runsOf(job as Yaml),
    );
    const diff = runs.find((run) => run.includes("cdk diff"));
    expect(diff).toContain("--method=template");
    expect(diff).not.toContain("--no-change-set");
  });

  it("cdk deploy runs only after deploy-kit reconcile recorded what runs, with the same credentials", () => {
    const steps: Array<{ name?: string; run?: string; uses?: string }> =
      workflow("infra-deploy.yml").doc.jobs.deploy.steps;
    const reconcile = steps.findIndex((step) =>
      /deploy-kit reconcile --env "\$DEPLOY_ENV"/.test(step.run ?? ""),
    );
    const credentials = steps.findIndex((step) =>
      (step.uses ?? "").startsWith("aws-actions/configure-aws-credentials@"),
    );
    const deploy = steps.findIndex((step) => /cdk deploy/.test(step.run ?? ""));
    expect(credentials).toBeGreaterThanOrEqual(0);
    expect(reconcile).toBeGreaterThan(credentials);
    expect(deploy).toBeGreaterThan(reconcile);
  });

  it("no workflow combines queue: max with cancel-in-progress: true (GitHub rejects it)", () => {
    const groups = [
      ...workflows.map((w) => ({ where: w.name, concurrency: w.doc.concurrency })),
      ...jobs.map((j) => ({ where: j.where, concurrency: j.job.concurrency })),
    ].filter(({ concurrency }) => concurrency && typeof concurrency === "object");
    const queued = groups.filter(({ concurrency }) => concurrency.queue === "max");
    expect(queued.map(({ where }) => where)).toEqual([
      "deploy.yml#release",
      "infra-deploy.yml#deploy",
    ]);
    for (const { concurrency } of queued) expect(concurrency["cancel-in-progress"]).toBe(false);
  });

  it("runs in the GitHub environment, whose URL is the app's, as deploy-kit's release reports it", () => {
    expect(release.environment).toEqual({
      name: "${{ inputs.environment }}",
      url: "${{ steps.deploy.outputs.url }}",
    });
    const deployStep = (release.steps as Yaml[]).find((s) => s.id === "deploy");
    expect(deployStep.run).toMatch(
      /^npx deploy-kit deploy "\$APP" --env "\$DEPLOY_ENV" --archive /,
    );
    // The step output it reads is the one deploy-kit writes after a release (deploy-kit's
    // src/commands/__tests__/release.test.ts shows it does).
    const releaseCommand = readFileSync(
      path.join(repoRoot, "packages/deploy-kit/src/commands/release.ts"),
      "utf8",
    );
    expect(releaseCommand).toMatch(/\.output\("url", /);
  });

  it("promotes the image the build job saved: the same artifact, loaded by deploy-kit", () => {
    const build = workflow("build.yml");
    const buildSteps = Object.values(build.doc.jobs).flatMap(
      (job) => (job as Yaml).steps as Yaml[],
    );
    const upload = buildSteps.find((s) => actionOf(s) === "actions/upload-artifact");
    const download = (release.steps as Yaml[]).find(
      (s) => actionOf(s) === "actions/download-artifact",
    );
    expect(upload.with.name).toBe("image-${{ inputs.app }}");
    expect(download.with.name).toBe(upload.with.name);
    expect(upload.with.path).toBe("${{ runner.temp }}/image.tar");
    expect(download.with.path).toBe("${{ runner.temp }}/image");
    expect(buildSteps.map((s) => s.run)).toContain(
      'npx deploy-kit build "$APP" --env "${DEPLOY_ENV:-local}" --archive "$RUNNER_TEMP/image.tar"',
    );
    expect((release.steps as Yaml[]).map((s) => s.run)).toContain(
      'npx deploy-kit deploy "$APP" --env "$DEPLOY_ENV" --archive "$RUNNER_TEMP/image/image.tar" --archive-sha256 "$ARCHIVE_SHA256" --image-id "$IMAGE_ID"',
    );
  });

  it("checks the archive against the build job's outputs: its SHA-256 before docker load, the image id after", () => {
    const build = workflow("build.yml");
    const image = build.doc.jobs.image;
    const buildStep = (image.steps as Yaml[]).find((s) => /deploy-kit build/.test(s.run ?? ""));
    // deploy-kit build --archive writes the step outputs archive-sha256 and image-id
    // (deploy-kit's src/commands/__tests__/archive.test.ts shows it does).
    expect(buildStep.id).toBe("build");
    expect(image.outputs).toEqual({
      "archive-sha256": "${{ steps.build.outputs.archive-sha256 }}",
      "image-id": "${{ steps.build.outputs.image-id }}",
    });
    const outputs = build.doc.on.workflow_call.outputs;
    expect(outputs["archive-sha256"].value).toBe("${{ jobs.image.outputs.archive-sha256 }}");
    expect(outputs["image-id"].value).toBe("${{ jobs.image.outputs.image-id }}");
    const archiveCode = readFileSync(
      path.join(repoRoot, "packages/deploy-kit/src/commands/archive.ts"),
      "utf8",
    );
    expect(archiveCode).toMatch(/\.output\("archive-sha256", /);
    expect(archiveCode).toMatch(/\.output\("image-id", /);

    const inputs = deploy.doc.on.workflow_call.inputs;
    expect(inputs["archive-sha256"]).toMatchObject({ type: "string", required: true });
    expect(inputs["image-id"]).toMatchObject({ type: "string", required: true });
    const deployStep = (release.steps as Yaml[]).find((s) => s.id === "deploy");
    expect(deployStep.run).toMatch(/ --archive-sha256 "\$ARCHIVE_SHA256" --image-id "\$IMAGE_ID"$/);
    expect(deployStep.env).toMatchObject({
      ARCHIVE_SHA256: "${{ inputs.archive-sha256 }}",
      IMAGE_ID: "${{ inputs.image-id }}",
    });

    // Only a job that lists build in needs sees its outputs.
    const wrong: string[] = [];
    for (const { name, doc } of appWorkflows) {
      for (const [id, job] of Object.entries(doc.jobs as Record<string, Yaml>)) {
        if (job.uses !== "./.github/workflows/deploy.yml") continue;
        const needs = [job.needs ?? []].flat();
        if (!needs.includes("build")) wrong.push(`${name}#${id}: needs ${JSON.stringify(needs)}`);
        if (
          job.with?.["archive-sha256"] !== "${{ needs.build.outputs.archive-sha256 }}" ||
          job.with?.["image-id"] !== "${{ needs.build.outputs.image-id }}"
        ) {
          wrong.push(`${name}#${id}: with ${JSON.stringify(job.with)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("every app's pipeline builds once, then goes through platform.config.json's environments in order", () => {
    expect(appWorkflows.length).toBeGreaterThan(0);
    for (const { name, doc } of appWorkflows) {
      const app = /^deploy-(.+)\.yml$/.exec(name)?.[1];
      expect(doc.jobs.build, name).toEqual({
        name: "build",
        uses: "./.github/workflows/build.yml",
        // for the app's CPU architecture in the first environment (deploy-kit build --env)
        with: { app, ...(awsEnvironments[0] ? { environment: awsEnvironments[0] } : {}) },
      });
      let previous: string | undefined;
      for (const environment of awsEnvironments) {
        const job = doc.jobs[`deploy-${environment}`];
        expect(job, `${name}#deploy-${environment}`).toMatchObject({
          needs: previous ? ["build", previous] : "build",
          uses: "./.github/workflows/deploy.yml",
          with: { app, environment },
        });
        previous = `deploy-${environment}`;
      }
      expect(Object.keys(doc.jobs)).toHaveLength(awsEnvironments.length + 1);
      expect(doc.on.workflow_dispatch.inputs.environment.options).toEqual(awsEnvironments);
    }
  });

  it("nothing in YAML that deploy-kit does: no docker or aws commands in any script", () => {
    const wrong = steps
      .filter(
        (s) => typeof s.step.run === "string" && /(^|[\s;&|(])(docker|aws)\s/m.test(s.step.run),
      )
      .map((s) => `${s.where}: ${s.step.run}`);
    expect(wrong).toEqual([]);
  });
});

describe("reusable workflows", () => {
  it("each call passes exactly the inputs the called workflow declares (actionlint cannot check local calls)", () => {
    const wrong: string[] = [];
    for (const { job, where } of jobs) {
      if (typeof job.uses !== "string" || !job.uses.startsWith("./")) continue;
      const file = path.join(repoRoot, job.uses);
      if (!existsSync(file)) {
        wrong.push(`${where}: ${job.uses} does not exist`);
        continue;
      }
      const on = parse(readFileSync(file, "utf8")).on ?? {};
      if (typeof on !== "object" || !("workflow_call" in on)) {
        wrong.push(`${where}: ${job.uses} is not a reusable workflow (no on.workflow_call)`);
        continue;
      }
      const inputs: Record<string, Yaml> = on.workflow_call?.inputs ?? {};
      const given = Object.keys(job.with ?? {});
      for (const name of given) {
        if (!(name in inputs)) wrong.push(`${where}: ${job.uses} has no input "${name}"`);
      }
      for (const [name, input] of Object.entries(inputs)) {
        if (input.required && !given.includes(name)) {
          wrong.push(`${where}: ${job.uses} needs input "${name}"`);
        }
      }
      if (job.secrets !== undefined) wrong.push(`${where}: passes secrets (${job.secrets})`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("third-party actions", () => {
  const uses = workflows.flatMap((w) =>
    w.text
      .split("\n")
      .map((line, index) => ({ line, where: `${w.file}:${index + 1}` }))
      .filter(({ line }) => /^\s*(-\s+)?uses:/.test(line))
      .filter(({ line }) => !/uses:\s*\.\//.test(line)),
  );

  it("are pinned by full commit SHA, with the version in a comment", () => {
    const wrong = uses
      .filter(({ line }) => !/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/.test(line))
      .map(({ line, where }) => `${where}: ${line.trim()}`);
    expect(uses.length).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it("each action is pinned to one SHA and version across all workflows", () => {
    const pins = new Map<string, Set<string>>();
    for (const { line } of uses) {
      const match = /uses: ([^@\s]+)@(\S+ # \S+)/.exec(line);
      if (!match) continue;
      const [, action, pin] = match as unknown as [string, string, string];
      pins.set(action, (pins.get(action) ?? new Set()).add(pin));
    }
    const wrong = [...pins]
      .filter(([, set]) => set.size > 1)
      .map(([a, set]) => `${a}: ${[...set].join(", ")}`);
    expect(wrong).toEqual([]);
  });

  it("no checkout keeps credentials in .git/config (changesets/action brings its own token)", () => {
    const checkouts = steps.filter((s) => actionOf(s.step) === "actions/checkout");
    expect(checkouts.map((s) => s.where)).toContain("release.yml#version");
    const wrong = checkouts
      .filter((s) => s.step.with?.["persist-credentials"] !== false)
      .map((s) => s.where);
    expect(wrong).toEqual([]);
  });
});

describe("jobs", () => {
  it("every job on a runner has a timeout", () => {
    const wrong = jobs
      .filter(({ job }) => job["runs-on"] && typeof job["timeout-minutes"] !== "number")
      .map(({ where }) => where);
    expect(wrong).toEqual([]);
  });

  it("Node comes from .nvmrc, with the npm cache", () => {
    const setups = steps.filter((s) => actionOf(s.step) === "actions/setup-node");
    expect(setups.length).toBeGreaterThan(0);
    const wrong = setups
      .filter(
        ({ step }) =>
          JSON.stringify(step.with) !==
          JSON.stringify({ "node-version-file": ".nvmrc", cache: "npm" }),
      )
      .map((s) => `${s.where}: ${JSON.stringify(s.step.with)}`);
    expect(wrong).toEqual([]);
  });

  it("jobs that test, lint, typecheck or synth through turbo keep turbo's cache between runs", () => {
    const turboJobs = jobs.filter(({ job }) =>
      runsOf(job).some(
        (run) => /turbo run .*\b(test|lint|typecheck)\b/.test(run) || run === "npm run synth",
      ),
    );
    expect(turboJobs.map((j) => j.where)).toEqual(
      expect.arrayContaining([
        "ci.yml#checks",
        "ci.yml#infra",
        "ci.yml#containers",
        "build.yml#image",
      ]),
    );
    const wrong: string[] = [];
    for (const { job, where } of turboJobs) {
      const cache = ((job.steps ?? []) as Yaml[]).find((s) => actionOf(s) === "actions/cache");
      const key: string = cache?.with?.key ?? "";
      if (
        cache?.with?.path !== ".turbo/cache" ||
        !key.includes("${{ runner.os }}") ||
        !key.includes("${{ hashFiles('package-lock.json') }}") ||
        !key.includes("${{ github.sha }}") ||
        !cache?.with?.["restore-keys"]
      ) {
        wrong.push(`${where}: ${JSON.stringify(cache?.with)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("ci.yml", () => {
  const ci = workflow("ci.yml");

  it("checks, synth and the container tests, on pull requests and pushes to main", () => {
    expect(Object.keys(ci.doc.on)).toEqual(["pull_request", "push", "merge_group"]);
    expect(ci.doc.on.push.branches).toEqual(["main"]);
    expect(Object.keys(ci.doc.jobs)).toEqual(["checks", "infra", "containers"]);
    expect(runsOf(ci.doc.jobs.checks)).toContain("npm run workflows -- --check");
    expect(runsOf(ci.doc.jobs.infra)).toContain("npm run synth");
  });

  it("runs the README's commands", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## CI/CD: .github"));
    const missing = Object.values(ci.doc.jobs)
      .flatMap((job) => runsOf(job))
      // The install line differs from a developer's on purpose (--ignore-scripts, a job rule).
      .filter((run) => !/^npm ci\b/.test(run) && !section.includes(`\n${run} `))
      .map((run) => run);
    expect(missing).toEqual([]);
  });
});

describe("infra.yml", () => {
  const infra = workflow("infra.yml");

  it("is generated, so that its jobs follow platform.config.json's environments", () => {
    expect(infra.text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
  });

  it("diffs every AWS environment on pull requests, and comments once", () => {
    expect(infra.doc.jobs.diff.strategy.matrix.environment).toEqual(awsEnvironments);
    expect(infra.doc.jobs.diff.uses).toBe("./.github/workflows/infra-diff.yml");
    expect(infra.doc.jobs.comment).toMatchObject({
      needs: "diff",
      uses: "./.github/workflows/infra-comment.yml",
    });
    expect(runsOf(workflow("infra-comment.yml").doc.jobs.comment).join("\n")).toContain(
      'gh pr comment "$PR" --edit-last --create-if-none --body-file comment.md',
    );
  });

  it("deploys them on main in platform.config.json's order, each in its GitHub environment", () => {
    let previous: string | undefined;
    for (const environment of awsEnvironments) {
      const job = infra.doc.jobs[`deploy-${environment}`];
      expect(job, `deploy-${environment}`).toMatchObject({
        uses: "./.github/workflows/infra-deploy.yml",
        with: { environment },
        if: "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'",
      });
      expect(job.needs).toBe(previous);
      previous = `deploy-${environment}`;
    }
    const deploys = Object.keys(infra.doc.jobs).filter((id) => id.startsWith("deploy-"));
    expect(deploys).toEqual(awsEnvironments.map((environment) => `deploy-${environment}`));
    const deploy = workflow("infra-deploy.yml").doc.jobs.deploy;
    expect(deploy.environment).toBe("${{ inputs.environment }}-infra");
    expect(runsOf(deploy)).toContain(
      'npx cdk deploy "$STACKS" --require-approval never --no-color',
    );
  });

  it("runs for the infrastructure and everything it reads", () => {
    expect(infra.doc.on.pull_request.paths).toEqual(
      expect.arrayContaining([
        "packages/infra/**",
        "packages/platform-config/**",
        "platform.config.json",
        "apps/*/deploy.json",
      ]),
    );
    expect(infra.doc.on.push.paths).toEqual(infra.doc.on.pull_request.paths);
  });
});

describe("release.yml", () => {
  const release = workflow("release.yml");

  it("changesets versions and tags the apps, and publishes nothing", () => {
    const changesets = stepsOf(jobsOf([release])).find(
      (s) => actionOf(s.step) === "changesets/action",
    );
    expect(changesets?.step.with).toMatchObject({
      version: "npx changeset version",
      publish: "npx changeset tag",
    });
    expect(release.text).not.toMatch(/npm publish|changeset publish|NPM_TOKEN/);
    expect(release.doc.on).toEqual({ push: { branches: ["main"] } });
  });

  it("the apps' versions are what changesets bumps: private packages are versioned and tagged", () => {
    const config = JSON.parse(readFileSync(path.join(repoRoot, ".changeset/config.json"), "utf8"));
    expect(config.privatePackages).toEqual({ version: true, tag: true });
    for (const app of loadPlatform({ cwd: repoRoot }).apps) {
      expect(app.version, app.name).toMatch(/^\d+\.\d+\.\d+/);
    }
  });
});

describe("dependabot.yml", () => {
  const config = parse(readFileSync(path.join(repoRoot, ".github/dependabot.yml"), "utf8"));
  const ecosystem = (name: string) =>
    (config.updates as Yaml[]).filter((u) => u["package-ecosystem"] === name);

  /** Folders with a Dockerfile, as Dependabot names them (`/apps/api`). */
  function dockerfileDirs(dir = repoRoot): string[] {
    const found: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (["node_modules", "dist", "cdk.out", ".git", ".turbo"].includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) found.push(...dockerfileDirs(full));
      else if (entry.name === "Dockerfile") found.push(`/${path.relative(repoRoot, dir)}`);
    }
    return found.sort();
  }

  it("updates npm (grouped), the actions and the base image of every Dockerfile, weekly", () => {
    expect(ecosystem("npm")).toHaveLength(1);
    expect(ecosystem("npm")[0]).toMatchObject({ directory: "/", schedule: { interval: "weekly" } });
    expect(Object.keys(ecosystem("npm")[0].groups).length).toBeGreaterThan(0);
    expect(ecosystem("github-actions")[0]).toMatchObject({
      directory: "/",
      schedule: { interval: "weekly" },
    });
    expect(ecosystem("docker")[0].schedule).toEqual({ interval: "weekly" });
    expect([...ecosystem("docker")[0].directories].sort()).toEqual(dockerfileDirs());
  });
});

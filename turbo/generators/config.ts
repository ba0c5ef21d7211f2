import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  APP_KINDS,
  afterGenerate,
  checkAppName,
  checkKind,
  checkPort,
  checkSubdomain,
  localEdgePort,
  type NewApp,
  nextSteps,
  validateNewApp,
} from "@repo/setup/new-app";
import type { PlopTypes } from "@turbo/gen";

// `npx turbo gen app`: a new deployable app under apps/<name>, written from templates/<kind>/.
// The checks and the steps after writing live in packages/setup (src/new-app.ts), where they are
// typed and tested; this file wires them to @turbo/gen (Plop). Non-interactive:
//   npx turbo gen app --args <name> <service|web> <subdomain> <port>

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  const root = plop.getDestBasePath();

  plop.setGenerator("app", {
    description: "A new app: an Express service or a static web app, ready to deploy",
    prompts: [
      {
        type: "input",
        name: "name",
        message:
          "App name (its folder apps/<name>, its package @repo/<name>, its image and service)",
        validate: (value: string) => checkAppName(root, value),
        filter: (value: string) => value.trim(),
      },
      {
        type: "list",
        name: "kind",
        message: "Kind",
        choices: Object.entries(APP_KINDS).map(([value, name]) => ({ value, name })),
        validate: (value: string) => checkKind(value),
      },
      {
        type: "input",
        name: "subdomain",
        message:
          "Subdomain (the app is at https://<subdomain>.<domain>, locally http://<subdomain>.localhost:8080)",
        default: (answers: PlopTypes.Answers) => answers.name,
        validate: (value: string) => checkSubdomain(root, value),
        filter: (value: string) => value.trim(),
      },
      {
        type: "input",
        name: "port",
        message: "Port the container listens on",
        default: "8080",
        validate: (value: string) => checkPort(value),
        filter: (value: string) => String(value).trim(),
      },
    ],
    actions: (answers) => {
      // `--args` skips the prompts' validation: check every answer again, all at once.
      const app: NewApp = validateNewApp(root, answers as { name: string; kind: string });
      Object.assign(answers ?? {}, {
        subdomain: app.subdomain,
        port: app.port,
        devPort: app.devPort,
      });
      return [
        {
          type: "addMany",
          destination: `${root}/apps/{{name}}`,
          base: `templates/${app.kind}`,
          templateFiles: [
            `templates/${app.kind}/**/*.*.hbs`,
            `!templates/${app.kind}/env.development.hbs`,
          ],
          stripExtensions: ["hbs"],
          abortOnFail: true,
        },
        // Plop keeps the .hbs of a name without another extension, and .gitignore hides dot files
        // named .env.*: these are written one by one.
        ...[
          ["Dockerfile", "Dockerfile.hbs"],
          [".env.development", "env.development.hbs"],
        ]
          .filter(([, template]) =>
            existsSync(
              path.join(plop.getPlopfilePath(), "templates", app.kind, template as string),
            ),
          )
          .map(([file, template]) => ({
            type: "add",
            path: `${root}/apps/{{name}}/${file}`,
            templateFile: `templates/${app.kind}/${template}`,
            abortOnFail: true,
          })),
        function format() {
          // Templates are written for readability; Biome lays out the result (line width etc.).
          const biome = spawnSync(
            "npx",
            ["biome", "check", "--write", path.join("apps", app.name)],
            { cwd: root, stdio: "inherit" },
          );
          if (biome.status !== 0) throw new Error(`biome check --write apps/${app.name} failed`);
          return `formatted apps/${app.name}`;
        },
        function link() {
          return afterGenerate(root, app).join("\n    ");
        },
        function next() {
          return nextSteps(app, localEdgePort(root));
        },
      ];
    },
  });
}

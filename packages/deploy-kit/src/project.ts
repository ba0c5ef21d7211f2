import path from "node:path";
import type { AppEntry, LoadedPlatform } from "@repo/platform-config/load";
import { findApp, loadPlatform } from "@repo/platform-config/load";
import type { ResolvedApp, ResolvedEnvironment } from "@repo/platform-config/resolve";
import { resolveApp, resolveEnvironment } from "@repo/platform-config/resolve";
import type { CommandContext } from "./cli/main.js";

/** Labels on everything deploy-kit makes, so it finds (and removes) exactly its own things. */
export const LABEL = {
  managed: "deploy-kit.managed",
  project: "deploy-kit.project",
  env: "deploy-kit.env",
  role: "deploy-kit.role",
  app: "deploy-kit.app",
  commit: "deploy-kit.commit",
  tag: "deploy-kit.tag",
  release: "deploy-kit.release",
  inputs: "deploy-kit.inputs",
  /** The --platform an image was built for (linux/amd64, linux/arm64); absent: the engine's own. */
  platform: "deploy-kit.platform",
  port: "deploy-kit.port",
} as const;

export interface Project {
  loaded: LoadedPlatform;
  root: string;
  name: string;
  environment: ResolvedEnvironment;
  /** The apps the command acts on, resolved for the environment. */
  apps: ResolvedApp[];
}

/**
 * The apps a command line names; none named means the app whose folder we are in (turbo runs
 * each app's `deploy` script there), else every app.
 */
function selectApps(loaded: LoadedPlatform, names: string[], cwd: string): AppEntry[] {
  if (names.length) return [...new Set(names)].map((name) => findApp(loaded, name));
  const here = loaded.apps.find((app) => {
    const relative = path.relative(app.dir, cwd);
    return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
  });
  return here ? [here] : loaded.apps;
}

export function openProject(
  context: Pick<CommandContext, "cwd" | "apps" | "options" | "env">,
): Project {
  const loaded = loadPlatform({ cwd: context.cwd, configFile: context.options.configFile });
  const environment = resolveEnvironment(loaded.platform, context.options.env, context.env);
  const apps = selectApps(loaded, context.apps, context.cwd).map((app) =>
    resolveApp(loaded, app, environment),
  );
  return { loaded, root: loaded.root, name: loaded.platform.project, environment, apps };
}

/** The local image name of an app's build: `<project>/<app>:<tag>`. */
export function imageRef(project: Pick<Project, "name">, app: string, tag: string): string {
  return `${project.name}/${app}:${tag}`;
}

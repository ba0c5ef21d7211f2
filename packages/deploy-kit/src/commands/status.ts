import type { CommandContext } from "../cli/main.js";
import { type CommandDeps, open } from "./deps.js";

function since(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, target } = await open(context, deps, { docker: false });
  const apps = await target.status(project.apps);
  for (const app of apps) {
    context.reporter.result(
      app.state === "not deployed" || app.state === "not released"
        ? `${app.app.padEnd(10)} ${app.state.padEnd(20)} ${app.url}`
        : `${app.app.padEnd(10)} ${(app.health ?? "").padEnd(20)} ${app.url}  ${app.commit?.slice(0, 12) ?? ""}  ${app.image ?? ""}  since ${since(app.since)}`,
    );
  }
  return { apps };
}

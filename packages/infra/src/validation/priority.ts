import { createHash } from "node:crypto";
import { ConfigError, type ConfigProblem } from "@repo/platform-config/errors";
import { manifestFile } from "./problem.js";

/** The priorities an ALB listener rule may have. */
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 50_000;

/**
 * The listener rule priority an app gets from its name alone: the first 32 bits of the name's
 * SHA-256 mapped into 1..50000. It depends on nothing else, so adding or removing an app never
 * renumbers another (renumbering replaces rules, and two rules may not share a priority even for
 * a moment). The order itself does not matter: every rule matches a different host header.
 */
export function derivedPriority(app: string): number {
  const hash = createHash("sha256").update(app).digest().readUInt32BE(0);
  return MIN_PRIORITY + (hash % (MAX_PRIORITY - MIN_PRIORITY + 1));
}

/**
 * The listener rule priority of every app, by name: the manifest's `listenerPriority` when it
 * sets one, else the one derived from the name. Throws a ConfigError when two apps end up with
 * the same number, naming both apps, the number and a free number to set instead.
 */
export function listenerPriorities(
  apps: Array<{ name: string; listenerPriority?: number }>,
): Record<string, number> {
  const sorted = [...apps].sort((a, b) => a.name.localeCompare(b.name));
  const priorities: Record<string, number> = {};
  const owners = new Map<number, { name: string; explicit: boolean }>();
  const collisions: Array<{ app: string; explicit: boolean; other: string; priority: number }> = [];
  for (const app of sorted) {
    const explicit = app.listenerPriority !== undefined;
    const priority = app.listenerPriority ?? derivedPriority(app.name);
    priorities[app.name] = priority;
    const owner = owners.get(priority);
    if (owner) collisions.push({ app: app.name, explicit, other: owner.name, priority });
    else owners.set(priority, { name: app.name, explicit });
  }
  if (collisions.length === 0) return priorities;

  const taken = new Set(Object.values(priorities));
  const problems: ConfigProblem[] = collisions.map(({ app, explicit, other, priority }) => {
    const free = freePriority(priority, taken);
    taken.add(free);
    const how = (name: string, set: boolean) =>
      set ? `set in ${manifestFile(name)}` : "derived from its name";
    const otherExplicit = owners.get(priority)?.explicit ?? false;
    return {
      file: manifestFile(app),
      field: "listenerPriority",
      value: priority,
      message: `is the listener rule priority of both app "${other}" (${how(other, otherExplicit)}) and app "${app}" (${how(app, explicit)}), and two rules of the HTTPS listener cannot share one`,
      fix: `set "listenerPriority" in ${manifestFile(app)} (or in ${manifestFile(other)}) to a number from ${MIN_PRIORITY} to ${MAX_PRIORITY} no other app uses, for example ${free}`,
    };
  });
  throw new ConfigError(problems);
}

/** The first number after `from` (wrapping around) that no app uses. */
function freePriority(from: number, taken: Set<number>): number {
  for (let step = 1; step <= MAX_PRIORITY; step++) {
    const candidate = ((from - MIN_PRIORITY + step) % MAX_PRIORITY) + MIN_PRIORITY;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error("internal: every listener priority is taken");
}

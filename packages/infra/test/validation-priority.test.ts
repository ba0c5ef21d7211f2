import { ConfigError } from "@repo/platform-config/errors";
import { describe, expect, test } from "vitest";
import { derivedPriority, listenerPriorities } from "../src/validation/priority.js";

/** Two app names whose derived priorities collide, found by search (50000 buckets). */
function collidingNames(): [string, string] {
  const seen = new Map<number, string>();
  for (let index = 0; ; index++) {
    const name = `app-${index}`;
    const priority = derivedPriority(name);
    const other = seen.get(priority);
    if (other) return [other, name];
    seen.set(priority, name);
  }
}

describe("listenerPriorities", () => {
  test("derives a priority from each name, in 1..50000, the same on every run", () => {
    // GIVEN the template's apps WHEN priorities are derived twice
    const apps = [{ name: "api" }, { name: "web" }];
    const first = listenerPriorities(apps);
    const second = listenerPriorities([...apps].reverse());
    // THEN they are equal and valid
    expect(first).toEqual(second);
    for (const priority of Object.values(first)) {
      expect(Number.isInteger(priority)).toBe(true);
      expect(priority).toBeGreaterThanOrEqual(1);
      expect(priority).toBeLessThanOrEqual(50_000);
    }
    expect(first.api).toBe(derivedPriority("api"));
    expect(first.api).not.toBe(first.web);
  });

  test("adding or removing an app never renumbers the others", () => {
    const before = listenerPriorities([{ name: "api" }, { name: "web" }]);
    const added = listenerPriorities([{ name: "admin" }, { name: "api" }, { name: "web" }]);
    const removed = listenerPriorities([{ name: "web" }]);
    expect(added.api).toBe(before.api);
    expect(added.web).toBe(before.web);
    expect(removed.web).toBe(before.web);
  });

  test("a manifest's listenerPriority wins over the derived one", () => {
    const priorities = listenerPriorities([{ name: "api", listenerPriority: 7 }, { name: "web" }]);
    expect(priorities).toEqual({ api: 7, web: derivedPriority("web") });
  });

  test("two names that derive the same number fail, naming both apps, the number and the fix", () => {
    // GIVEN two names whose hashes land in the same bucket
    const [first, second] = collidingNames();
    const priority = derivedPriority(first);
    // WHEN
    let error: unknown;
    try {
      listenerPriorities([{ name: second }, { name: first }, { name: "api" }]);
    } catch (caught) {
      error = caught;
    }
    // THEN
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    const [a, b] = [first, second].sort();
    expect(message).toContain(
      `apps/${b}/deploy.json: listenerPriority = ${priority}: is the listener rule priority of both app "${a}" (derived from its name) and app "${b}" (derived from its name)`,
    );
    expect(message).toMatch(
      new RegExp(
        `Fix: set "listenerPriority" in apps/${b}/deploy\\.json \\(or in apps/${a}/deploy\\.json\\) to a number from 1 to 50000 no other app uses, for example \\d+$`,
      ),
    );
  });

  test("an explicit priority that takes another app's derived one fails the same way", () => {
    const taken = derivedPriority("web");
    expect(() =>
      listenerPriorities([{ name: "api", listenerPriority: taken }, { name: "web" }]),
    ).toThrow(
      `apps/web/deploy.json: listenerPriority = ${taken}: is the listener rule priority of both app "api" (set in apps/api/deploy.json) and app "web" (derived from its name)`,
    );
  });

  test("the suggested free number is not used by any app", () => {
    const taken = derivedPriority("web");
    try {
      listenerPriorities([
        { name: "api", listenerPriority: taken },
        { name: "web" },
        { name: "zzz", listenerPriority: taken + 1 },
      ]);
      expect.unreachable();
    } catch (error) {
      const suggested = Number(/for example (\d+)$/.exec((error as Error).message)?.[1]);
      expect([taken, taken + 1]).not.toContain(suggested);
    }
  });
});

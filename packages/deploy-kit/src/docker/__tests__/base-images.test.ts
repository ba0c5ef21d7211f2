import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { baseImageArgs, basePins } from "../base-images.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const DOCKERFILE = `ARG NODE_IMAGE=node-pinned
ARG RUNTIME_IMAGE=runtime-pinned
FROM node:24-bookworm-slim@${DIGEST} AS node-pinned
FROM gcr.io/distroless/nodejs24-debian12:nonroot@${DIGEST} AS runtime-pinned
FROM \${NODE_IMAGE} AS build
FROM \${RUNTIME_IMAGE}
ARG GIT_COMMIT=unknown
`;

describe("baseImageArgs", () => {
  it("uses the pins by default", () => {
    expect(baseImageArgs(DOCKERFILE, {})).toEqual({});
  });

  it("uses the tags with BASE_IMAGE_PINS=off (an engine whose images answer to tags only)", () => {
    expect(baseImageArgs(DOCKERFILE, { BASE_IMAGE_PINS: "off" })).toEqual({
      NODE_IMAGE: "node:24-bookworm-slim",
      RUNTIME_IMAGE: "gcr.io/distroless/nodejs24-debian12:nonroot",
    });
  });

  it("uses a mirror's reference from DEPLOY_KIT_BASE_IMAGE_<ARG>, before BASE_IMAGE_PINS", () => {
    expect(
      baseImageArgs(DOCKERFILE, {
        BASE_IMAGE_PINS: "off",
        DEPLOY_KIT_BASE_IMAGE_NODE_IMAGE: "mirror.example/node:24",
      }),
    ).toEqual({
      NODE_IMAGE: "mirror.example/node:24",
      RUNTIME_IMAGE: "gcr.io/distroless/nodejs24-debian12:nonroot",
    });
  });

  it("ignores ARGs that select no pinned stage", () => {
    expect(basePins(DOCKERFILE).map((pin) => pin.arg)).toEqual(["NODE_IMAGE", "RUNTIME_IMAGE"]);
  });
});

const root = fileURLToPath(new URL("../../../../../", import.meta.url));
const templates = path.join(root, "turbo/generators/templates");
const DOCKERFILES = [
  "apps/api/Dockerfile",
  "apps/web/Dockerfile",
  "packages/deploy-kit/src/edge/Dockerfile",
  ...readdirSync(templates).map((kind) => `turbo/generators/templates/${kind}/Dockerfile.hbs`),
];

describe.each(DOCKERFILES)("%s", (file) => {
  const text = readFileSync(path.join(root, file), "utf8");
  const lines = text.split("\n").map((line) => line.trim());
  const args = new Map(
    lines.flatMap((line) => {
      const match = /^ARG\s+(\w+)=(\S+)$/.exec(line);
      return match ? [[match[1] as string, match[2] as string]] : [];
    }),
  );

  it("names every base image by digest: each FROM is a stage, ref@sha256:<64 hex>, or an ARG defaulting to a stage", () => {
    const stages = new Set<string>();
    const froms = lines.filter((line) => /^FROM\s/i.test(line));
    expect(froms.length).toBeGreaterThan(0);
    for (const line of froms) {
      const match = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
      expect(match, line).not.toBeNull();
      const ref = match?.[1] ?? "";
      const viaArg = /^\$\{?(\w+)\}?$/.exec(ref)?.[1];
      const resolved = viaArg ? (args.get(viaArg) ?? "") : ref;
      const ok = stages.has(resolved.toLowerCase()) || /@sha256:[0-9a-f]{64}$/.test(resolved);
      expect(ok, `${file}: ${line} is neither a stage nor pinned by digest`).toBe(true);
      if (match?.[2]) stages.add(match[2].toLowerCase());
    }
  });

  it("offers the override for every pin (an ARG that selects it)", () => {
    const pinnedStages = [...text.matchAll(/@sha256:[0-9a-f]{64}\s+AS\s+(\S+)/gi)].map((m) => m[1]);
    expect(basePins(text).map((pin) => pin.stage)).toEqual(
      expect.arrayContaining(pinnedStages.map((stage) => stage?.toLowerCase())),
    );
    expect(basePins(text)).toHaveLength(pinnedStages.length);
  });

  it("runs no install scripts and fetches nothing unpinned", () => {
    expect(text).not.toMatch(/npx\s+(?:--yes|-y)\b/);
    const commands = text.split("\n").filter((l) => !l.trim().startsWith("#"));
    for (const line of commands.filter((l) => /\bnpm\s+(?:ci|install|i)\b/.test(l))) {
      expect(line, `${file}: ${line.trim()}`).toMatch(/--ignore-scripts/);
    }
  });
});

import type { IConstruct } from "constructs";

/**
 * A construct was given a value it cannot build from. The message is one line in the shape of
 * platform-config's problems: where (the construct path and prop), what was found, why it is
 * wrong and what to set instead, so the person reading a failed synth knows the fix without
 * reading the source.
 */
export class InfraValidationError extends Error {
  override name = "InfraValidationError";
  /** The construct path, such as `platform-staging-platform/Network`. */
  readonly path: string;
  readonly prop: string;

  constructor(scope: IConstruct, prop: string, value: unknown, message: string, fix: string) {
    super(`${scope.node.path}: ${prop} = ${show(value)}: ${message}. Fix: ${fix}`);
    this.path = scope.node.path;
    this.prop = prop;
  }
}

function show(value: unknown): string {
  if (value === undefined) return "(missing)";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A `${...}` in an environment value that the platform substitutes at deploy time. */
export type Placeholder =
  | { kind: "app-url"; app: string; raw: string }
  | { kind: "env-name"; raw: string };

// An unterminated "${" is matched too (empty second group) so it is reported, not kept as text.
const PLACEHOLDER = /\$\{([^}]*)(\}?)/g;
const APP_URL = /^apps\.([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.url$/;

function classify(inner: string, raw: string): Placeholder | undefined {
  const app = APP_URL.exec(inner)?.[1];
  if (app !== undefined) return { kind: "app-url", app, raw };
  if (inner === "env.name") return { kind: "env-name", raw };
  return undefined;
}

/** The placeholders of `value`, and the `${...}` texts that are not a known placeholder. */
export function scanPlaceholders(value: string): {
  placeholders: Placeholder[];
  invalid: string[];
} {
  const placeholders: Placeholder[] = [];
  const invalid: string[] = [];
  for (const match of value.matchAll(PLACEHOLDER)) {
    const [raw, inner = "", close] = match;
    const placeholder = close ? classify(inner, raw) : undefined;
    if (placeholder) placeholders.push(placeholder);
    else invalid.push(raw);
  }
  return { placeholders, invalid };
}

/**
 * Replaces each placeholder with `replace(placeholder)`. Values are scanned when loaded, so an
 * unknown placeholder here is left as it is.
 */
export function substitutePlaceholders(
  value: string,
  replace: (placeholder: Placeholder) => string,
): string {
  return value.replace(PLACEHOLDER, (raw, inner: string, close: string) => {
    const placeholder = close ? classify(inner, raw) : undefined;
    return placeholder ? replace(placeholder) : raw;
  });
}

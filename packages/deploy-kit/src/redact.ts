/**
 * Takes secrets out of log lines before deploy-kit prints them (a failed release's task logs, a
 * local container's last lines): they end up in terminals, CI logs, job summaries and
 * annotations, which are read by more people than the secrets are meant for.
 *
 * Three nets, each for what the one before cannot know:
 * - the names of the app's secrets (`NAME=value`, `NAME: value`, `"NAME":"value"`);
 * - the values themselves, where deploy-kit knows them (locally, from .env.local);
 * - the shapes of credentials whatever their name: AWS access key ids, bearer tokens,
 *   Authorization headers, JWTs, PEM private keys, passwords in URLs, and sensitive query values.
 */

export const REDACTED = "[redacted]";

export interface RedactOptions {
  /** Names of secret variables (the manifest's `secrets` keys, a task definition's `secrets`). */
  names?: Iterable<string>;
  /** Secret values known to the caller; shorter than 6 characters they are left alone. */
  values?: Iterable<string>;
  /** Called once per distinct value taken out, to mask it in GitHub Actions' later output. */
  onRedacted?: (value: string) => void;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Names that are secrets whatever the manifest says (the platform refuses them in `environment`). */
const SECRET_WORDS =
  "[A-Za-z0-9_]*(?:PASSWORD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?)[A-Za-z0-9_]*";

const QUERY_KEYS =
  "access_token|id_token|refresh_token|token|client_secret|api_?key|password|secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token";

interface Rule {
  pattern: RegExp;
  /** Index of the group holding the secret; the rest of the match is kept. */
  group: number;
}

function rules(names: string[]): Rule[] {
  const list: Rule[] = [];
  const named = [...names.map(escapeRegExp), SECRET_WORDS].join("|");
  // "NAME": "value" (JSON), NAME=value, NAME: value (env dumps, config printouts).
  list.push({
    pattern: new RegExp(`(?:"(?:${named})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)+)`, "gi"),
    group: 1,
  });
  list.push({
    pattern: new RegExp(`\\b(?:${named})\\b['"]?\\s*[=:]\\s*['"]?([^\\s'",;]+)`, "gi"),
    group: 1,
  });
  list.push({
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    group: 0,
  });
  list.push({ pattern: /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/g, group: 1 });
  list.push({
    pattern:
      /\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:Bearer|Basic|Token|AWS4-HMAC-SHA256)\s+)?([^\s"',]+)/gi,
    group: 1,
  });
  list.push({ pattern: /\b(?:Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{6,})/g, group: 1 });
  list.push({ pattern: /\b(eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,})/g, group: 1 });
  // scheme://user:password@host: the user stays, for the diagnosis.
  list.push({ pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@/]+)@/gi, group: 1 });
  list.push({ pattern: new RegExp(`[?&](?:${QUERY_KEYS})=([^&\\s#"']+)`, "gi"), group: 1 });
  return list;
}

/** Redacts one text. */
export function redactText(text: string, options: RedactOptions = {}): string {
  return redactLines([text], options)[0] ?? "";
}

/** The lines with every secret they hold replaced by [redacted]. */
export function redactLines(lines: readonly string[], options: RedactOptions = {}): string[] {
  const values = [...new Set(options.values ?? [])]
    .filter((value) => value.length >= 6)
    // Longest first, so a value that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
  const found = new Set<string>();
  const compiled = rules([...new Set(options.names ?? [])].filter(Boolean));
  const out = lines.map((line) => {
    let text = line;
    for (const value of values) {
      if (text.includes(value)) {
        found.add(value);
        text = text.split(value).join(REDACTED);
      }
    }
    for (const { pattern, group } of compiled) {
      text = text.replace(pattern, (match, ...groups: unknown[]) => {
        const secret = group === 0 ? match : String(groups[group - 1] ?? "");
        if (!secret || secret === REDACTED || secret.startsWith(REDACTED)) return match;
        found.add(secret);
        if (group === 0) return REDACTED;
        const at = match.lastIndexOf(secret);
        return `${match.slice(0, at)}${REDACTED}${match.slice(at + secret.length)}`;
      });
    }
    return text;
  });
  if (options.onRedacted) for (const value of found) options.onRedacted(value);
  return out;
}

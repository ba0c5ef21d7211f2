/** Where a secret is stored; ECS reads it when a task starts and sets it as an env var. */
export interface SecretRef {
  source: "ssm" | "secretsmanager";
  /** The SSM parameter name (`/path/name`) or the Secrets Manager secret name or ARN. */
  name: string;
  /** The key inside a Secrets Manager secret that holds JSON. */
  jsonKey?: string;
  /** The reference as written in the manifest. */
  raw: string;
}

const SSM_NAME = /^(?:\/[A-Za-z0-9_.-]+)+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN =
  /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const JSON_KEY = /^[^:\s]+$/;
// An ARN is arn:partition:service:region:account:secret:name, so a json key is an 8th part.
const ARN_PARTS = 7;

/**
 * Parses `ssm:/path/name` or `secretsmanager:<name-or-arn>[:json-key]`; `undefined` when `raw`
 * is neither, which for a manifest most likely means a secret written in plain text.
 */
export function parseSecretRef(raw: string): SecretRef | undefined {
  if (raw.startsWith("ssm:")) {
    const name = raw.slice("ssm:".length);
    return SSM_NAME.test(name) && name.length <= 2048 ? { source: "ssm", name, raw } : undefined;
  }
  if (!raw.startsWith("secretsmanager:")) return undefined;
  const rest = raw.slice("secretsmanager:".length);
  let name = rest;
  let jsonKey: string | undefined;
  if (rest.startsWith("arn:")) {
    const parts = rest.split(":");
    if (parts.length > ARN_PARTS + 1) return undefined;
    name = parts.slice(0, ARN_PARTS).join(":");
    jsonKey = parts[ARN_PARTS];
    if (!SECRET_ARN.test(name)) return undefined;
  } else {
    const colon = rest.indexOf(":");
    if (colon >= 0) {
      name = rest.slice(0, colon);
      jsonKey = rest.slice(colon + 1);
    }
    if (!SECRET_NAME.test(name)) return undefined;
  }
  if (jsonKey === undefined) return { source: "secretsmanager", name, raw };
  return JSON_KEY.test(jsonKey) ? { source: "secretsmanager", name, jsonKey, raw } : undefined;
}

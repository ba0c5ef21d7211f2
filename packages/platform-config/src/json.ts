// JSON.parse says where it failed only sometimes ("Unexpected token '}', ... is not valid JSON"
// has no position on Node 20), so on failure a small scanner finds the spot to report as a
// line and column. JSON.parse stays the parser: the scanner only runs on text it rejected.

/** Where JSON text stops being valid, and what was found there. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  /** What is wrong there, such as `unexpected "}" (a trailing comma?)`. */
  message: string;
  /** The text of the offending line, trimmed. */
  lineText: string;
}

class Stop {
  constructor(readonly offset: number) {}
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** The offset of the first character that makes `text` invalid JSON, or -1 if it is valid. */
function errorOffset(text: string): number {
  let i = 0;
  const skip = () => {
    while (i < text.length && WHITESPACE.has(text.charAt(i))) i++;
  };
  const stop = (): never => {
    throw new Stop(i);
  };
  const expect = (char: string) => {
    skip();
    if (text.charAt(i) !== char) stop();
    i++;
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) stop();
      const char = text.charAt(i);
      if (char === '"') {
        i++;
        return;
      }
      if (char === "\\") {
        const next = text.charAt(i + 1);
        if (ESCAPES.has(next)) i += 2;
        else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else {
          i++;
          stop();
        }
      } else if (char < " ") stop();
      else i++;
    }
  };
  // An object or array: after the opening bracket, `item`s separated by commas, then `close`.
  const items = (close: string, item: () => void) => {
    i++;
    skip();
    if (text.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skip();
      if (text.charAt(i) !== ",") break;
      i++;
    }
    expect(close);
  };
  const member = () => {
    skip();
    if (text.charAt(i) !== '"') stop();
    string();
    expect(":");
    value();
  };
  const value = (): void => {
    skip();
    const char = text.charAt(i);
    if (char === "{") {
      items("}", member);
      return;
    }
    if (char === "[") {
      items("]", value);
      return;
    }
    if (char === '"') {
      string();
      return;
    }
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) i = NUMBER.lastIndex;
    else stop();
  };
  try {
    value();
    skip();
    if (i < text.length) stop();
    return -1;
  } catch (error) {
    if (error instanceof Stop) return error.offset;
    throw error;
  }
}

function explain(text: string, offset: number): string {
  if (offset >= text.length) return "unexpected end of file";
  const char = text.charAt(offset);
  const before = text.slice(0, offset).trimEnd().at(-1);
  if (char === "/" || char === "#")
    return `unexpected ${JSON.stringify(char)} (JSON has no comments)`;
  if ((char === "}" || char === "]") && before === ",") {
    return `unexpected ${JSON.stringify(char)} after a trailing comma`;
  }
  if (char === "'") return 'unexpected "\'" (JSON strings use double quotes)';
  return `unexpected ${JSON.stringify(char)}`;
}

/** Parses JSON text; on failure says where (1-based line and column) and what was found. */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError } {
  const source = text.replace(/^\uFEFF/, "");
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch {
    const found = errorOffset(source);
    const offset = found < 0 ? source.length : found;
    const lines = source.slice(0, offset).split("\n");
    const line = lines.length;
    const column = (lines.at(-1)?.length ?? 0) + 1;
    const lineText = (source.split("\n")[line - 1] ?? "").trim();
    return { ok: false, error: { line, column, message: explain(source, offset), lineText } };
  }
}

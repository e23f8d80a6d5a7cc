/**
 * A `.properties` parser with java.util.Properties semantics: `=`, `:` or whitespace separators, `#`/`!`
 * comments, backslash line continuations, escapes (`\t \n \r \f \uXXXX`, `\x` → `x`). Each entry keeps
 * the line it started on, for diagnostics.
 */

/** One key/value pair and where it was defined. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** Parsed properties: the last definition of each key wins, as in Java. */
export interface ParsedProperties {
  entries: Map<string, PropertyEntry>;
  /** Keys defined more than once, with every line. */
  duplicates: Map<string, number[]>;
}

function isWhite(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

/** Joins physical lines into logical ones (an odd number of trailing backslashes continues the line). */
function logicalLines(text: string): { text: string; line: number }[] {
  const physical = text.split(/\r\n|\r|\n/);
  const out: { text: string; line: number }[] = [];
  let current: string | undefined;
  let startLine = 0;
  for (let i = 0; i < physical.length; i++) {
    let raw = physical[i]!;
    if (current === undefined) {
      const trimmed = raw.replace(/^[ \t\f]+/, '');
      if (trimmed === '' || trimmed[0] === '#' || trimmed[0] === '!') continue;
      raw = trimmed;
      startLine = i + 1;
      current = '';
    } else {
      raw = raw.replace(/^[ \t\f]+/, '');
    }
    let slashes = 0;
    for (let j = raw.length - 1; j >= 0 && raw[j] === '\\'; j--) slashes++;
    if (slashes % 2 === 1) {
      current += raw.slice(0, -1);
      continue;
    }
    out.push({ text: current + raw, line: startLine });
    current = undefined;
  }
  if (current !== undefined) out.push({ text: current, line: startLine });
  return out;
}

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === undefined) break;
    if (n === 't') out += '\t';
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === 'f') out += '\f';
    else if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 5), 16));
      i += 4;
    } else out += n;
  }
  return out;
}

/** Parses the text of a .properties file. */
export function parseProperties(text: string): ParsedProperties {
  const entries = new Map<string, PropertyEntry>();
  const duplicates = new Map<string, number[]>();
  for (const { text: l, line } of logicalLines(text)) {
    let i = 0;
    let escaped = false;
    for (; i < l.length; i++) {
      const c = l[i]!;
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '=' || c === ':' || isWhite(c)) break;
    }
    const key = unescape(l.slice(0, i));
    while (isWhite(l[i])) i++;
    if (l[i] === '=' || l[i] === ':') i++;
    while (isWhite(l[i])) i++;
    const value = unescape(l.slice(i));
    const previous = entries.get(key);
    if (previous) duplicates.set(key, [...(duplicates.get(key) ?? [previous.line]), line]);
    entries.set(key, { key, value, line });
  }
  return { entries, duplicates };
}

/**
 * Splits `executableName` exactly as the daemon does (Java's `split(" +")`): on runs of spaces only (no
 * shell, tabs kept). Like Java, a leading space gives an empty first word (possible only through an
 * escape such as `\ `, since the parser drops leading whitespace); trailing spaces give nothing.
 */
export function splitExecutableName(value: string): string[] {
  return value.split(/ +/).filter((part, i, all) => part !== '' || i < all.length - 1);
}

/**
 * The one error base class of kcl-ts. Every error kcl-ts throws or reports is a `KclTsError` with a
 * stable `code` of the form `KCLTS_ERR_<AREA>_<WHAT>`; each area lists its codes in its own `errors.ts`.
 */
export class KclTsError extends Error {
  /** Stable machine-readable code, e.g. `KCLTS_ERR_PROTOCOL_MALFORMED_LINE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A short, single-line excerpt of a possibly huge string, for error messages and logs. */
export function excerpt(text: string, max = 120): string {
  const flat = text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
  return flat.replace(/\s+/g, ' ');
}

/**
 * The message of a thrown value, never throwing: an Error's message, another value as text, and for a
 * value that throws when read (a getter, a Proxy) `the thrown value could not be read: <why>`.
 */
export function errorMessage(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch (readError) {
    let why = 'unknown reason';
    try {
      why = readError instanceof Error ? readError.message : String(readError);
    } catch {
      // a reading error that cannot be read either
    }
    return `the thrown value could not be read: ${why}`;
  }
}

/** Describes a value for option-validation messages: ``\`0\` (number)``. */
export function describeValue(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return `\`${excerpt(shown, 60)}\` (${value === null ? 'null' : typeof value})`;
}

/**
 * Why `JSON.parse` failed, without the input it quotes: V8 puts up to a few dozen characters of the text
 * into its message (`Unexpected token 'h', "hello …" is not valid JSON`), and that text may be a
 * record's payload, i.e. personal data. Keeps V8's position (`at position 12`) when it gives one.
 */
export function jsonErrorReason(err: unknown): string {
  const message = errorMessage(err);
  if (message.startsWith('Unexpected token')) return 'unexpected token';
  const stripped = message.replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, '').replace(/\s+/g, ' ').trim();
  return stripped === '' || stripped.length > 120 ? 'not valid JSON' : stripped;
}

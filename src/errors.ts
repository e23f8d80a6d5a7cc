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

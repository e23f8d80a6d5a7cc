import type { AttributeMap, AttributeValueJson } from './types.js';

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** DynamoDB's size of a number: about one byte per two significant digits, plus one. */
function numberSize(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** base64 text → decoded byte count, without decoding. */
function base64Size(b: string): number {
  const pad = b.endsWith('==') ? 2 : b.endsWith('=') ? 1 : 0;
  return Math.floor((b.length * 3) / 4) - pad;
}

function valueSize(v: AttributeValueJson): number {
  if (typeof v.S === 'string') return utf8(v.S);
  if (typeof v.N === 'string') return numberSize(v.N);
  if (typeof v.B === 'string') return base64Size(v.B);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (Array.isArray(v.SS)) return (v.SS as string[]).reduce((n, s) => n + utf8(s), 0);
  if (Array.isArray(v.NS)) return (v.NS as string[]).reduce((n, s) => n + numberSize(s), 0);
  if (Array.isArray(v.BS)) return (v.BS as string[]).reduce((n, s) => n + base64Size(s), 0);
  if (Array.isArray(v.L)) return (v.L as AttributeValueJson[]).reduce((n, e) => n + 1 + valueSize(e), 3);
  if (v.M !== null && typeof v.M === 'object') return 3 + mapSize(v.M as AttributeMap, 1);
  return 0;
}

function mapSize(map: AttributeMap, perEntry = 0): number {
  let n = 0;
  for (const [name, v] of Object.entries(map)) n += utf8(name) + valueSize(v) + perEntry;
  return n;
}

/**
 * The approximate `SizeBytes` of a stream record: its keys and images measured the way DynamoDB sizes
 * items (attribute names plus values; numbers by significant digits; lists and maps with their overhead).
 */
export function recordSize(...maps: (AttributeMap | undefined)[]): number {
  let n = 0;
  for (const m of maps) if (m) n += mapSize(m);
  return n;
}

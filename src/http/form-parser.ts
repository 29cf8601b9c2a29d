// Twilio posts application/x-www-form-urlencoded UTF-8. A body that is not valid UTF-8 or has a
// broken %-escape is refused with 400 rather than stored with replacement characters.
export class MalformedBodyError extends Error {
  readonly statusCode = 400;
  constructor(reason: string) {
    super(`Malformed body: ${reason}`);
    this.name = 'MalformedBodyError';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const PLUS = 0x2b, PERCENT = 0x25, AMP = 0x26, EQ = 0x3d;

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** Unescapes one key or value at the byte level, then decodes it as strict UTF-8. */
function decodeComponent(raw: Buffer): string {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === PLUS) out[n++] = 0x20;
    else if (b === PERCENT) {
      const hi = hexValue(raw[i + 1] ?? -1), lo = hexValue(raw[i + 2] ?? -1);
      if (hi < 0 || lo < 0) throw new MalformedBodyError('a % is not followed by two hex digits');
      out[n++] = hi * 16 + lo;
      i += 2;
    } else out[n++] = b;
  }
  let text: string;
  try {
    text = decoder.decode(out.subarray(0, n));
  } catch {
    throw new MalformedBodyError('not valid UTF-8');
  }
  // PostgreSQL cannot store a NUL character in text, and no real message has one.
  if (text.includes('\u0000')) throw new MalformedBodyError('a value contains a NUL character');
  return text;
}

/** Parses a form body; repeated keys keep their last value (Twilio sends each key once). */
export function parseForm(body: Buffer | string): Record<string, string> {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const result = new Map<string, string>();
  let start = 0;
  while (start <= buf.length) {
    let end = buf.indexOf(AMP, start);
    if (end === -1) end = buf.length;
    const pair = buf.subarray(start, end);
    if (pair.length) {
      const eq = pair.indexOf(EQ);
      const key = decodeComponent(eq === -1 ? pair : pair.subarray(0, eq));
      result.set(key, eq === -1 ? '' : decodeComponent(pair.subarray(eq + 1)));
    }
    start = end + 1;
  }
  return Object.fromEntries(result);
}

import { isAscii } from 'node:buffer';

// Twilio posts application/x-www-form-urlencoded UTF-8. A body that is not valid UTF-8 or has a
// broken %-escape is refused with 400 rather than stored with replacement characters.
export class MalformedBodyError extends Error {
  readonly statusCode = 400;
  constructor(reason: string) {
    super(`Malformed body: ${reason}`);
    this.name = 'MalformedBodyError';
  }
}

// ignoreBOM: a leading U+FEFF is part of the value (decodeURIComponent keeps it too), not dropped.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const PLUS = 0x2b, PERCENT = 0x25, AMP = 0x26, EQ = 0x3d;

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

function checkText(text: string): string {
  // PostgreSQL cannot store a NUL character in text, and no real message has one.
  if (text.includes('\u0000')) throw new MalformedBodyError('a value contains a NUL character');
  return text;
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
  return checkText(text);
}

/**
 * The key or value at text[start, end) of an all-ASCII body, as Twilio sends them: %-escapes are
 * decoded by decodeURIComponent, which refuses broken escapes and invalid UTF-8 alike (as the byte
 * path does). A raw NUL was refused for the whole body already; only an escaped one is looked for.
 */
function decodeAsciiComponent(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  const escaped = raw.indexOf('%') !== -1;
  if (!escaped && raw.indexOf('+') === -1) return raw;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    throw new MalformedBodyError('a %-escape is broken or not valid UTF-8');
  }
  return escaped ? checkText(decoded) : decoded;
}

/** Sets a parsed key; `__proto__` becomes an own key, as everywhere else, not the prototype. */
function setKey(result: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
  else result[key] = value;
}

/** Parses a form body; repeated keys keep their last value (Twilio sends each key once). */
export function parseForm(body: Buffer | string): Record<string, string> {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const out: Record<string, string> = {};
  // Twilio's bodies are %-encoded, so all ASCII: scanned as one string, in place (measured: a
  // third of the byte path's cost per callback, and this scan half the cost of splitting it into
  // pairs first). Raw non-ASCII bytes take the byte path, which checks them.
  if (isAscii(buf)) {
    const text = checkText(buf.toString('latin1'));
    for (let start = 0; start <= text.length;) {
      let end = text.indexOf('&', start);
      if (end === -1) end = text.length;
      if (end > start) {
        let eq = text.indexOf('=', start);
        if (eq === -1 || eq > end) eq = end;
        setKey(out, decodeAsciiComponent(text, start, eq), eq === end ? '' : decodeAsciiComponent(text, eq + 1, end));
      }
      start = end + 1;
    }
    return out;
  }
  let start = 0;
  while (start <= buf.length) {
    let end = buf.indexOf(AMP, start);
    if (end === -1) end = buf.length;
    const pair = buf.subarray(start, end);
    if (pair.length) {
      const eq = pair.indexOf(EQ);
      const key = decodeComponent(eq === -1 ? pair : pair.subarray(0, eq));
      setKey(out, key, eq === -1 ? '' : decodeComponent(pair.subarray(eq + 1)));
    }
    start = end + 1;
  }
  return out;
}

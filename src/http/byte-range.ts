import type { FastifyReply, FastifyRequest } from 'fastify';

/** The bytes a Range header asks for, inclusive: `start`..`end`. */
export interface ByteRange {
  start: number;
  end: number;
}

const SINGLE_BYTE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/**
 * The Range header when it is one range of the forms parseByteRange takes (`bytes=a-b`, `a-`,
 * `-n`), trimmed; undefined otherwise (several ranges, another unit, none): what a proxy passes on.
 */
export function singleByteRange(header: string | undefined): string | undefined {
  const range = header?.trim();
  return range && range !== 'bytes=-' && SINGLE_BYTE_RANGE.test(range) ? range : undefined;
}

/**
 * One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` over a file of `size` bytes (players seek
 * with these). null: the whole file (no header, or one we do not take: several ranges, another
 * unit; a server may ignore Range). 'unsatisfiable': it starts past the end (416).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const m = header ? SINGLE_BYTE_RANGE.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/**
 * `bytes` (media proxied from Twilio, held whole) as the answer to `request`: 200 whole, 206 the
 * asked range, 416 a range past the end. A browser's player reads a voice note's or video's length
 * from its end (an Ogg's last page) and seeks by ranges; without them it shows no duration.
 */
export function sendBytesWithRanges(request: FastifyRequest, reply: FastifyReply, bytes: Buffer) {
  reply.header('accept-ranges', 'bytes');
  const range = parseByteRange(request.headers.range, bytes.length);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${bytes.length}`);
    return reply.code(416).send();
  }
  if (!range) return reply.send(bytes);
  reply.header('content-range', `bytes ${range.start}-${range.end}/${bytes.length}`);
  return reply.code(206).send(bytes.subarray(range.start, range.end + 1));
}

import type { FastifyReply, FastifyRequest } from 'fastify';

// A browser's player reads a voice note's or video's length from its end (an Ogg's last page) and
// seeks within it by asking for byte ranges; a file served whole without `Accept-Ranges` plays with
// no duration and cannot be scrubbed. One range per request (all a player asks for); a list of
// ranges, or a header we cannot read, gets the whole file as HTTP allows.
const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/** `bytes` as the answer to `request`: 200 whole, 206 the asked range, 416 a range past the end. */
export function sendBytesWithRanges(request: FastifyRequest, reply: FastifyReply, bytes: Buffer) {
  reply.header('accept-ranges', 'bytes');
  const match = SINGLE_RANGE.exec(request.headers.range?.trim() ?? '');
  if (!match || (!match[1] && !match[2])) return reply.send(bytes);
  const size = bytes.length;
  let start: number;
  let end: number;
  if (!match[1]) {
    // `bytes=-N`: the last N bytes.
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  }
  if (start >= size || start > end) {
    reply.header('content-range', `bytes */${size}`);
    return reply.code(416).send();
  }
  reply.header('content-range', `bytes ${start}-${end}/${size}`);
  return reply.code(206).send(bytes.subarray(start, end + 1));
}

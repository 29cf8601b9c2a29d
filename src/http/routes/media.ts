import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../../db/database.ts';
import { messageRepository, type StoredMedia } from '../../db/message-repository.ts';
import { outgoingMediaRepository, type OutgoingMediaFile } from '../../db/outgoing-media-repository.ts';
import type { InboxContext } from '../../messages/context.ts';
import type { FetchedMedia } from '../../twilio/gateway.ts';
import { isUuid } from '../../messages/inbox-queries.ts';
import { keptMediaUrl, mediaTypeOf } from '../../messages/media-items.ts';
import { mediaTokenHash } from '../../messages/send-message.ts';
import { storedFileStream } from '../../messages/stored-file-stream.ts';
import { parseByteRange, sendBytesWithRanges, singleByteRange } from '../byte-range.ts';
import { sendError } from '../error-handler.ts';

// Served inline from the panel's origin: only the pictures, voice notes and videos WhatsApp carries,
// which a browser shows without running anything. Anything else a customer (or a payload) declares,
// an HTML page or an SVG with a script among them, is downloaded as an attachment.
const INLINE_TYPES = new Set([
  'image/jpeg', 'image/png', 'image/gif', 'image/webp',
  'audio/aac', 'audio/amr', 'audio/mp4', 'audio/mpeg', 'audio/ogg', 'audio/opus',
  'video/mp4', 'video/3gpp',
]);
// Documents WhatsApp carries keep their type and get their extension when downloaded; any other
// attachment goes out as bytes.
const DOCUMENT_EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf', 'text/plain': 'txt', 'text/csv': 'csv', 'text/vcard': 'vcf',
  'application/msword': 'doc', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt', 'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

const notFound = 'Media not found';
const notFoundEs = 'Archivo no encontrado';
// A public link's token: base64url of at least 16 random bytes.
const TOKEN = /^[A-Za-z0-9_-]{22,128}$/;
// How long Twilio (or anyone holding the link) may keep a copy.
const PUBLIC_MAX_AGE_SECONDS = 3600;

/** Every answer of a media route: never run as a page of ours, never sniffed into something more active than declared. */
async function mediaSafetyHeaders(_request: unknown, reply: FastifyReply, payload: unknown) {
  reply.header('content-security-policy', 'sandbox');
  reply.header('x-content-type-options', 'nosniff');
  return payload;
}

async function readWhole(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** `filename="..."` for every client (ASCII only) and `filename*` with the real name. */
function dispositionFilename(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/["\\%]/g, '_') || 'archivo';
  return `filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The bytes of a file sent from the panel, streamed from its chunks with their length (one range
 * of them when asked, so players can seek): images inline, everything else downloaded under its name.
 */
function sendStoredFile(request: FastifyRequest, reply: FastifyReply, db: Queryable, file: OutgoingMediaFile, cacheControl: string) {
  reply.header('cache-control', cacheControl);
  const inline = INLINE_TYPES.has(file.contentType);
  const name = file.filename ?? `archivo${DOCUMENT_EXTENSIONS[file.contentType] ? '.' + DOCUMENT_EXTENSIONS[file.contentType] : ''}`;
  reply.header('content-disposition', `${inline ? 'inline' : 'attachment'}; ${dispositionFilename(name)}`);
  reply.header('accept-ranges', 'bytes');
  const range = parseByteRange(request.headers.range, file.size);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${file.size}`);
    return sendError(reply, 416, 'range_not_satisfiable', 'The range asked for is past the end of the file', 'El rango pedido está más allá del final del archivo');
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${file.size}`);
  reply.header('content-length', String(end - start + 1));
  return reply.type(file.contentType).send(storedFileStream(db, file.id, start, end));
}

/**
 * Media of a message, downloaded with Twilio's credentials. A URL that came in a payload but does
 * not point at Twilio never gets them: the browser is sent there without our secret instead.
 */
export async function mediaRoutes(app: FastifyInstance, opts: { ctx: InboxContext }) {
  const isTwilioUrl = (url: string) => opts.ctx.twilio.isTwilioMediaUrl(url);

  // Twilio fetches the files we send here, without a session: the random token is the only key,
  // and an unknown token and an expired one get the same 404. Looked up by the token's hash, so
  // no comparison of the secret itself is ever timed.
  app.get('/media/out/:token', { onSend: mediaSafetyHeaders }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const file = TOKEN.test(token) ? await outgoingMediaRepository.findByTokenHash(opts.ctx.db, mediaTokenHash(token)) : null;
    if (!file) return sendError(reply, 404, 'not_found', notFound, notFoundEs);
    return sendStoredFile(request, reply, opts.ctx.db, file, `private, max-age=${PUBLIC_MAX_AGE_SECONDS}`);
  });

  // Every answer of this route (the bytes, the redirect, the errors) gets the safety headers.
  app.get('/api/media/:messageId/:index', { onSend: mediaSafetyHeaders }, async (request, reply) => {
    const { messageId, index } = request.params as { messageId: string; index: string };
    if (!isUuid(messageId) || !/^\d{1,2}$/.test(index)) return sendError(reply, 404, 'not_found', notFound, notFoundEs);
    const message = await messageRepository.findRaw(opts.ctx.db, messageId);
    // Checked again: rows stored before URLs were checked on arrival may hold anything.
    const items: unknown = message?.media;
    const media = Array.isArray(items) ? (items[Number(index)] as { url?: unknown; contentType?: unknown; stored?: StoredMedia['stored'] } | null | undefined) : null;
    if (media?.stored === true) {
      const file = await outgoingMediaRepository.findForMessage(opts.ctx.db, messageId, Number(index));
      if (!file) return sendError(reply, 404, 'not_found', notFound, notFoundEs);
      if (file.bytesRemoved) {
        return sendError(reply, 410, 'media_removed', 'This file is no longer kept: its link expired long ago', 'Este archivo ya no se conserva: su enlace venció hace tiempo');
      }
      return sendStoredFile(request, reply, opts.ctx.db, file, 'private, max-age=3600');
    }
    const url = media && typeof media === 'object' ? keptMediaUrl(media.url, isTwilioUrl) : null;
    if (!media || !url) return sendError(reply, 404, 'not_found', notFound, notFoundEs);
    if (!isTwilioUrl(url)) return reply.redirect(url);

    // One range we understand goes on to Twilio, whose CDN sends only those bytes; anything else
    // (several ranges, another unit) gets the whole file, as our own files do.
    const range = singleByteRange(request.headers.range);
    let file: FetchedMedia;
    try {
      file = await opts.ctx.twilio.fetchMedia(url, { range });
    } catch (err) {
      request.log.warn({ err }, 'media download from Twilio failed');
      return sendError(reply, 502, 'twilio_error', 'Twilio could not be reached for this media', 'No se pudo contactar a Twilio para este archivo');
    }
    if (file.status === 416 && range) {
      file.body.destroy();
      reply.header('accept-ranges', 'bytes');
      if (file.contentRange) reply.header('content-range', file.contentRange);
      return reply.code(416).send();
    }
    if (file.status >= 400) {
      file.body.destroy();
      return sendError(reply, 502, 'twilio_error', `Twilio answered ${file.status} for this media`, `Twilio respondió ${file.status} para este archivo`);
    }
    reply.header('cache-control', 'private, max-age=3600');
    const type = mediaTypeOf(media.contentType) ?? mediaTypeOf(file.contentType);
    if (type && INLINE_TYPES.has(type)) reply.type(type);
    else {
      const extension = type ? DOCUMENT_EXTENSIONS[type] : undefined;
      reply.header('content-disposition', `attachment; filename="whatsapp-${messageId.slice(0, 8)}-${index}${extension ? '.' + extension : ''}"`);
      reply.type(extension ? type! : 'application/octet-stream');
    }
    // A server that ignored the range sent it all: answer the range from those bytes.
    if (range && file.status !== 206) return sendBytesWithRanges(request, reply, await readWhole(file.body));
    reply.header('accept-ranges', 'bytes');
    if (file.status === 206 && file.contentRange) reply.code(206).header('content-range', file.contentRange);
    if (file.contentLength !== null) reply.header('content-length', file.contentLength);
    return reply.send(file.body);
  });
}

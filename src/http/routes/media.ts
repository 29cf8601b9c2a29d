import type { FastifyInstance } from 'fastify';
import { messageRepository } from '../../db/message-repository.ts';
import type { InboxContext } from '../../messages/context.ts';
import { isUuid } from '../../messages/inbox-queries.ts';
import { sendError } from '../error-handler.ts';

/**
 * Media of a message, downloaded with Twilio's credentials. A URL that came in a payload but does
 * not point at Twilio never gets them: the browser is sent there without our secret instead.
 */
export async function mediaRoutes(app: FastifyInstance, opts: { ctx: InboxContext }) {
  app.get('/api/media/:messageId/:index', async (request, reply) => {
    const { messageId, index } = request.params as { messageId: string; index: string };
    const message = isUuid(messageId) ? await messageRepository.findRaw(opts.ctx.db, messageId) : null;
    const media = message?.media[Number(index)];
    if (!media || !/^\d+$/.test(index)) return sendError(reply, 404, 'not_found', 'Media not found', 'Archivo no encontrado');
    if (!opts.ctx.twilio.isTwilioMediaUrl(media.url)) {
      if (!/^https?:\/\//.test(media.url)) return sendError(reply, 404, 'not_found', 'Media not found', 'Archivo no encontrado');
      return reply.redirect(media.url);
    }
    const file = await opts.ctx.twilio.fetchMedia(media.url);
    if (file.status >= 400) return sendError(reply, 502, 'twilio_error', `Twilio answered ${file.status} for this media`, `Twilio respondió ${file.status} para este archivo`);
    reply.header('cache-control', 'private, max-age=3600');
    return reply.type(media.contentType ?? file.contentType ?? 'application/octet-stream').send(file.body);
  });
}

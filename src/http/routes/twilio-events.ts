import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventStreamsAnswer } from '../../contract/api.ts';
import type { InboxContext } from '../../messages/context.ts';
import { MalformedDeliveryError, parseDelivery, recordDelivery, type OurSenders } from '../../messages/event-streams.ts';
import { verifyTwilioBodySignature } from '../../twilio/signature.ts';
import { sendError } from '../error-handler.ts';

export const EVENTS_PATH = '/api/twilio/events';
/** A delivery holds a batch of events; a megabyte is far above what Twilio sends at once. */
export const EVENTS_BODY_LIMIT = 1024 * 1024;

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Twilio Event Streams' webhook sink: a signed JSON array of CloudEvents, answered after the
 * write commits (Twilio allows 5 s). The body is kept raw: the signature covers its exact bytes.
 */
export async function twilioEventRoutes(app: FastifyInstance, opts: {
  ctx: InboxContext; authToken: string; baseUrl: string; senders: OurSenders; basicAuth: { user: string; password: string } | null;
}) {
  // This plugin's own JSON parser keeps the text: the app's one parses it away.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: EVENTS_BODY_LIMIT }, (_req, body, done) => done(null, body));

  function authentic(request: FastifyRequest): boolean {
    const raw = typeof request.body === 'string' ? request.body : '';
    const signature = request.headers['x-twilio-signature'];
    const given = typeof signature === 'string' ? signature : undefined;
    const url = opts.baseUrl + request.url;
    if (opts.basicAuth) {
      const header = request.headers.authorization ?? '';
      const expected = `${opts.basicAuth.user}:${opts.basicAuth.password}`;
      if (!header.startsWith('Basic ') || !sameSecret(Buffer.from(header.slice(6), 'base64').toString('utf8'), expected)) return false;
      // Twilio's documents do not say whether the credentials in the sink URL are part of the URL
      // it signs: both forms are accepted (the signature is over our URL either way).
      const withCredentials = new URL(url);
      withCredentials.username = opts.basicAuth.user;
      withCredentials.password = opts.basicAuth.password;
      if (verifyTwilioBodySignature(opts.authToken, given, withCredentials.href, raw)) return true;
    }
    return verifyTwilioBodySignature(opts.authToken, given, url, raw);
  }

  app.post(EVENTS_PATH, {
    config: { public: true, bodyType: 'json' },
    bodyLimit: EVENTS_BODY_LIMIT,
    helmet: false,
    logLevel: 'warn',
  }, async (request, reply) => {
    if (!authentic(request)) {
      request.log.warn({ url: request.url }, 'rejected Event Streams delivery: missing or wrong signature or credentials');
      return sendError(reply, 403, 'bad_signature', 'Missing or invalid X-Twilio-Signature or credentials', 'Firma X-Twilio-Signature o credenciales ausentes o no válidas');
    }
    let delivery;
    try {
      // PostgreSQL cannot store a NUL character: refused up front, as the app's JSON parser does.
      if (/\\u0000/i.test(request.body as string)) throw new MalformedDeliveryError('a value contains a NUL character');
      delivery = parseDelivery(JSON.parse(request.body as string), opts.senders);
    } catch (err) {
      const reason = err instanceof MalformedDeliveryError ? err.message : 'malformed JSON';
      return sendError(reply, 400, 'validation', `Invalid Event Streams delivery: ${reason}`, `Entrega de Event Streams no válida: ${reason}`);
    }
    const answer: EventStreamsAnswer = await recordDelivery(opts.ctx, delivery);
    return reply.code(200).send(answer);
  });

  app.route({
    method: app.supportedMethods.filter((m) => m !== 'POST'),
    url: EVENTS_PATH,
    config: { public: true, bodyType: 'any' },
    exposeHeadRoute: false,
    onRequest: async (_request, reply) => {
      reply.header('allow', 'POST');
      return sendError(reply, 405, 'method_not_allowed', 'Twilio Event Streams posts to this URL; use POST', 'Twilio Event Streams envía a esta URL con POST');
    },
    handler: async (_request, reply) => reply,
  });
}

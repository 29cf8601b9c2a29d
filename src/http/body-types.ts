import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The body type a route takes: 'json' (the default: the panel's API), 'form' (Twilio's
     * webhooks), or 'any' (the route answers whatever is sent, e.g. a 405); a list for the one
     * route that also takes 'multipart' (a file sent from the panel).
     */
    bodyType?: BodyType | 'any' | readonly BodyType[];
  }
}

const MEDIA_TYPES = { json: 'application/json', form: 'application/x-www-form-urlencoded', multipart: 'multipart/form-data' } as const;
type BodyType = keyof typeof MEDIA_TYPES;
// Fastify never reads a body on these.
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

const hasBody = (request: FastifyRequest) =>
  !BODYLESS.has(request.method) && (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0);

/**
 * Each route takes one body type, checked before the body is read: both parsers are registered for
 * the whole app, so without this Twilio's webhooks parsed JSON and the login parsed forms. Keyed on
 * the matched route's config; unknown routes keep their 404.
 */
export function enforceBodyTypes(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs for every request (Twilio's callbacks too), and
  // one that lets the request through then costs no promise.
  app.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config;
    if (!config.url || !hasBody(request)) return done();
    const wanted = config.bodyType ?? 'json';
    if (wanted === 'any') return done();
    const essence = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (typeof wanted === 'string' ? MEDIA_TYPES[wanted] === essence : wanted.some((t) => MEDIA_TYPES[t] === essence)) return done();
    const types = (typeof wanted === 'string' ? [wanted] : wanted).map((t) => MEDIA_TYPES[t]);
    const named = types.join(' or ');
    sendError(reply, 415, 'unsupported_media_type', `This route takes only ${named} bodies`, `Esta ruta solo acepta cuerpos ${types.join(' o ')}`);
  });
}

import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { DatabaseUnavailableError } from '../db/database.ts';
import { DomainError } from '../messages/errors.ts';
import type { ApiError } from '../contract/api.ts';

const DOMAIN_STATUS: Record<string, number> = {
  not_found: 404,
  validation: 400,
  window_closed: 409,
  template_not_approved: 409,
  unknown_template: 400,
  unknown_sender: 400,
  email_taken: 409,
  conflict: 409,
  twilio_error: 502,
  twilio_timeout: 504,
  forbidden: 403,
  unsupported_media: 400,
  media_too_large: 413,
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string, messageEs: string, twilioCode?: number) {
  const body: ApiError = { error: { code, message, messageEs, ...(twilioCode ? { twilioCode } : {}) } };
  return reply.code(status).send(body);
}

/** Every failure becomes a clear JSON answer; nothing leaks a stack trace and the server keeps serving. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ZodError) {
      const detail = err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return sendError(reply, 400, 'validation', `Invalid request: ${detail}`, `Solicitud no válida: ${detail}`);
    }
    if (err instanceof DomainError) {
      return sendError(reply, DOMAIN_STATUS[err.code] ?? 400, err.code, err.message, err.messageEs, err.twilioCode);
    }
    if (err instanceof DatabaseUnavailableError) {
      request.log.warn({ err: err.cause }, 'database unavailable');
      reply.header('retry-after', '5');
      return sendError(reply, 503, 'unavailable', 'The database is unavailable; try again shortly', 'La base de datos no está disponible; intente de nuevo en un momento');
    }
    // Text PostgreSQL cannot store (a safety net; the body parsers refuse it first).
    if (err.code === '22021' || err.code === '22P05') {
      return sendError(reply, 400, 'bad_request', 'The request contains characters that cannot be stored', 'La solicitud contiene caracteres que no se pueden guardar');
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return sendError(reply, status, 'internal', 'Internal error', 'Error interno');
    }
    return sendError(reply, status, err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'bad_request', err.message, err.message);
  });
}

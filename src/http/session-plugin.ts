import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { SESSION_COOKIE, userForSession } from '../auth/sessions.ts';
import type { Database } from '../db/database.ts';
import type { UserDto } from '../realtime/events.ts';
import { sendError } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: UserDto | null;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a session (Twilio's webhooks, login). */
    public?: boolean;
    adminOnly?: boolean;
  }
}

/** Reads the session cookie's token, or null; shared with the Socket.IO handshake. */
export function sessionToken(app: FastifyInstance, cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null;
  const raw = app.parseCookie(cookieHeader)[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = app.unsignCookie(raw);
  return unsigned.valid ? unsigned.value : null;
}

/** Every /api route needs a live session unless its config says `public`; `adminOnly` routes need an admin. */
export const sessionPlugin = fp(
  async (app: FastifyInstance, opts: { db: Database }) => {
    app.decorateRequest('user', null);
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const config = request.routeOptions.config;
      if (!request.url.startsWith('/api/') || config.public) return;
      const token = sessionToken(app, request.headers.cookie);
      request.user = token ? await userForSession(opts.db, token) : null;
      if (!request.user) return sendError(reply, 401, 'unauthenticated', 'Log in first', 'Inicie sesión primero');
      if (config.adminOnly && request.user.role !== 'admin') {
        return sendError(reply, 403, 'forbidden', 'Only admins can do this', 'Solo los administradores pueden hacer esto');
      }
    });
  },
  { name: 'wa-session', dependencies: ['@fastify/cookie'] },
);

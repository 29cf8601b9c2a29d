import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CSRF_HEADER, csrfTokenFor, csrfTokenMatches } from '../auth/csrf.ts';
import { SESSION_COOKIE, userForSession } from '../auth/sessions.ts';
import type { Database } from '../db/database.ts';
import type { UserDto } from '../contract/api.ts';
import { sendError } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: UserDto | null;
    /** The CSRF token of the request's session (null without a session); `GET /api/auth/me` hands it to the panel. */
    csrfToken: string | null;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a session (Twilio's webhooks, login). */
    public?: boolean;
    adminOnly?: boolean;
    /** Public routes a browser calls (login, logout): refused when another site's page sends them. */
    sameOriginOnly?: boolean;
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Reads the session cookie's token, or null; shared with the Socket.IO handshake. */
export function sessionToken(app: FastifyInstance, cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null;
  const raw = app.parseCookie(cookieHeader)[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = app.unsignCookie(raw);
  return unsigned.valid ? unsigned.value : null;
}

/**
 * Whether a browser sent this request from another site's page. Sec-Fetch-Site is set by the
 * browser and no page can forge it; browsers without it still send Origin on every POST; a request
 * with neither comes from no browser (curl, scripts, tests) and so cannot be a forgery riding a
 * victim's cookie. Our origin is BASE_URL's, or the one the request was addressed to (behind a
 * trusted proxy, X-Forwarded-Proto and -Host), so the panel also works under another name: a LAN
 * address, Vite's dev server.
 */
export function isCrossSite(request: FastifyRequest, publicOrigin: string): boolean {
  return sentFromAnotherSite(request.headers, [publicOrigin, originOf(`${request.protocol}://${request.host}`)]);
}

/** The rule of isCrossSite on bare headers; the Socket.IO handshake uses it too. */
export function sentFromAnotherSite(headers: IncomingHttpHeaders, ownOrigins: (string | null)[]): boolean {
  const site = headers['sec-fetch-site'];
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = headers.origin;
  if (!origin) return false;
  return !ownOrigins.includes(origin);
}

export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

const refuseForgery = (reply: FastifyReply, message: string, messageEs: string) => sendError(reply, 403, 'csrf', message, messageEs);

/**
 * Every /api route needs a live session unless its config says `public`; `adminOnly` routes need an
 * admin. A write (POST, PUT, PATCH, DELETE) made with the cookie also needs the session's CSRF token
 * in X-CSRF-Token: the browser attaches the cookie to a forged request too, but only the panel's own
 * script can read the token and set the header. Browser-called public routes (`sameOriginOnly`) and
 * every cookie write are also refused when sent from another site. Twilio's webhooks carry no
 * cookie and are checked by their signature instead.
 */
export const sessionPlugin = fp(
  async (app: FastifyInstance, opts: { db: Database; cookieSecret: string; publicOrigin: string }) => {
    app.decorateRequest('user', null);
    app.decorateRequest('csrfToken', null);
    // A callback hook: on public routes (Twilio's callbacks among them) it decides at once and
    // costs no promise; a session is read (asynchronously) only where one is needed.
    app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const config = request.routeOptions.config;
      // The matched route, never the raw URL: the router decodes the path, so `/%61pi/users`
      // reaches `/api/users` while its URL does not start with `/api/`.
      if (!config.url?.startsWith('/api/')) return done();
      const write = UNSAFE_METHODS.has(request.method);
      if (write && (config.sameOriginOnly || !config.public) && isCrossSite(request, opts.publicOrigin)) {
        refuseForgery(reply, 'Requests from another site are refused', 'Se rechazan las solicitudes desde otro sitio');
        return;
      }
      if (config.public) return done();
      checkSession(request, reply, write, config.adminOnly === true).then((allowed) => {
        if (allowed) done();
      }, done);
    });

    /** Whether the request goes on to its handler; when not, it has been answered. */
    async function checkSession(request: FastifyRequest, reply: FastifyReply, write: boolean, adminOnly: boolean): Promise<boolean> {
      const token = sessionToken(app, request.headers.cookie);
      if (!token) {
        sendError(reply, 401, 'unauthenticated', 'Log in first', 'Inicie sesión primero');
        return false;
      }
      if (write && !csrfTokenMatches(opts.cookieSecret, token, request.headers[CSRF_HEADER])) {
        refuseForgery(reply, 'Missing or wrong CSRF token; reload the page', 'Falta el token CSRF o no es válido; recargue la página');
        return false;
      }
      request.user = await userForSession(opts.db, token);
      if (!request.user) {
        sendError(reply, 401, 'unauthenticated', 'Log in first', 'Inicie sesión primero');
        return false;
      }
      request.csrfToken = csrfTokenFor(opts.cookieSecret, token);
      if (adminOnly && request.user.role !== 'admin') {
        sendError(reply, 403, 'forbidden', 'Only admins can do this', 'Solo los administradores pueden hacer esto');
        return false;
      }
      return true;
    }
  },
  { name: 'wa-session', dependencies: ['@fastify/cookie'] },
);

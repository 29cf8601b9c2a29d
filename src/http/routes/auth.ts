import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { csrfTokenFor } from '../../auth/csrf.ts';
import type { LoginLimits } from '../../auth/login-limits.ts';
import { login, logout, SESSION_COOKIE, SESSION_DAYS } from '../../auth/sessions.ts';
import type { Database } from '../../db/database.ts';
import type { InboxEvents } from '../../messages/inbox-events.ts';
import type { SettingsStore } from '../../messages/settings-store.ts';
import { alertPreferencesRepository } from '../../db/user-repository.ts';
import type { AlertPreferencesDto, SessionDto } from '../../contract/api.ts';
import { sendError } from '../error-handler.ts';
import { sessionToken } from '../session-plugin.ts';

const alertsPatch = z.strictObject({ desktop: z.boolean().optional(), sound: z.boolean().optional() })
  .refine((p) => p.desktop !== undefined || p.sound !== undefined, { message: 'give desktop, sound or both' });

const credentials = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });

/** "45 seconds" / "2 minutes", and the Spanish. */
function waitText(seconds: number): { en: string; es: string } {
  if (seconds <= 90) return { en: `${seconds} second${seconds === 1 ? '' : 's'}`, es: `${seconds} segundo${seconds === 1 ? '' : 's'}` };
  const minutes = Math.ceil(seconds / 60);
  return { en: `${minutes} minutes`, es: `${minutes} minutos` };
}

export async function authRoutes(app: FastifyInstance, opts: {
  db: Database; secureCookies: boolean; cookieSecret: string; demoMode: boolean; settings: SettingsStore; events: InboxEvents; limits: LoginLimits; defaultCountry: string;
}) {
  // Secure when BASE_URL is https, even when the proxy in front speaks plain http to us.
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secureCookies } as const;

  // Login and logout need no session but are refused from another site's page (login CSRF: signing
  // a victim's browser into the attacker's account).
  // Failed logins are limited per client address (request.ip: the connection's, or X-Forwarded-For
  // only from a TRUST_PROXY peer) and per account, on every instance alike; see login-limits.ts.
  app.post('/api/auth/login', { config: { public: true, sameOriginOnly: true } }, async (request, reply) => {
    const { email, password } = credentials.parse(request.body);
    const gate = await opts.limits.begin(request.ip, email);
    if (!gate.allowed) {
      const wait = waitText(gate.retryAfterSeconds);
      reply.header('retry-after', String(gate.retryAfterSeconds));
      return sendError(reply, 429, 'too_many_attempts', `Too many failed logins; try again in ${wait.en}`, `Demasiados intentos fallidos; intente de nuevo en ${wait.es}`);
    }
    // Until succeeded() the attempt counts as a failure (also when the check itself fails).
    const session = await login(opts.db, email, password);
    // One answer for an unknown email and a wrong password: no hint of which accounts exist.
    if (!session) return sendError(reply, 401, 'bad_credentials', 'Wrong email or password', 'Correo o contraseña incorrectos');
    await gate.succeeded();
    reply.setCookie(SESSION_COOKIE, session.token, { ...cookieOptions, signed: true, maxAge: SESSION_DAYS * 86400 });
    return { user: session.user, csrfToken: csrfTokenFor(opts.cookieSecret, session.token) };
  });

  app.post('/api/auth/logout', { config: { public: true, sameOriginOnly: true } }, async (request, reply) => {
    const token = sessionToken(app, request.headers.cookie);
    if (token) await logout(opts.db, opts.events, token);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return { ok: true };
  });

  app.get('/api/auth/me', async (request): Promise<SessionDto> => ({
    user: request.user!,
    demoMode: opts.demoMode,
    settings: await opts.settings.get(),
    alerts: (await alertPreferencesRepository.find(opts.db, request.user!.id))!,
    csrfToken: request.csrfToken!,
    defaultCountry: opts.defaultCountry,
  }));

  // Every user (agents too) sets their own alerts; the user's other panels follow live.
  app.patch('/api/auth/me/alerts', async (request): Promise<AlertPreferencesDto> => {
    const patch = alertsPatch.parse(request.body);
    const userId = request.user!.id;
    const alerts = (await alertPreferencesRepository.update(opts.db, userId, patch))!;
    opts.events.emit('alerts:changed', { userId, alerts });
    return alerts;
  });
}

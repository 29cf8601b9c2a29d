import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { createLoginLimits, DEFAULT_LOGIN_LIMITS, type LoginLimitSettings } from './auth/login-limits.ts';
import type { Config, TwilioConfig } from './config/env.ts';
import type { Database } from './db/database.ts';
import { startPlannerStatistics } from './messages/planner-statistics-upkeep.ts';
import { startChangeLogUpkeep } from './messages/change-log-upkeep.ts';
import { checkpointRepository } from './db/settings-repository.ts';
import { enforceBodyTypes } from './http/body-types.ts';
import { registerErrorHandler, sendError } from './http/error-handler.ts';
import { MalformedBodyError, parseForm } from './http/form-parser.ts';
import { authRoutes } from './http/routes/auth.ts';
import { contactAndNoteRoutes } from './http/routes/contacts-and-notes.ts';
import { conversationRoutes } from './http/routes/conversations.ts';
import { demoRoutes, type DemoTwilio } from './http/routes/demo.ts';
import { healthRoutes } from './http/routes/health.ts';
import { mediaRoutes } from './http/routes/media.ts';
import { quickReplyRoutes } from './http/routes/quick-replies.ts';
import { senderRoutes } from './http/routes/senders.ts';
import { adminRoutes } from './http/routes/users.ts';
import { twilioEventRoutes } from './http/routes/twilio-events.ts';
import { twilioWebhookRoutes } from './http/routes/twilio-webhooks.ts';
import { sessionPlugin } from './http/session-plugin.ts';
import type { InboxContext } from './messages/context.ts';
import { createConversationFeed } from './messages/conversation-feed.ts';
import { InboxEvents } from './messages/inbox-events.ts';
import { startMessageFetcher, type MessageFetcher } from './messages/message-fetcher.ts';
import { startReconciler, type Reconciler } from './messages/reconciler.ts';
import { startUnconfirmedSendSweep } from './messages/unconfirmed-sends.ts';
import { startMediaCleanup } from './messages/media-cleanup.ts';
import { createStatusBatcher } from './messages/record-status.ts';
import { loadSenders } from './messages/senders.ts';
import { createSettingsStore } from './messages/settings-store.ts';
import { createTemplateCatalog } from './messages/template-catalog.ts';
import { followRealtimeLink } from './realtime/realtime-link-events.ts';
import type { InstanceRelay, RealtimeLink } from './realtime/redis-adapter.ts';
import { attachRealtime, type InboxSocketServer } from './realtime/socket-server.ts';
import type { TwilioGateway } from './twilio/gateway.ts';

const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

/** What the composition root (server.ts) or a test chooses: real or local Twilio, PostgreSQL or PGlite. */
export interface AppComponents {
  config: Config;
  twilioConfig: TwilioConfig;
  db: Database;
  twilio: TwilioGateway;
  /** Present in demo mode: the in-process local Twilio the panel's "Simular" menu drives. */
  demo?: DemoTwilio | null;
  /** Socket.IO adapter shared by several instances (Redis). */
  realtimeAdapter?: Parameters<InboxSocketServer['adapter']>[0];
  /** Its relay for the heavy traffic between instances (message events, list updates); required with the adapter. */
  realtimeRelay?: InstanceRelay;
  /** The Redis link behind `realtimeAdapter`: its outages are logged, shown in /api/health, and resynced. */
  realtimeLink?: RealtimeLink;
  /** Background workers (the message fetcher); tests may switch them off to drive them by hand. */
  startWorkers?: boolean;
  /** How often open sockets' sessions are checked again; tests shorten it. */
  sessionRecheckMs?: number;
  /** How often the change log's superseded rows are pruned (null: never by itself); tests that count the rows stop it. */
  changeLogUpkeepMs?: number | null;
  /** Where log lines go instead of stdout, at `logLevel` (tests read them). */
  logStream?: NodeJS.WritableStream;
  logLevel?: string;
  /** The login limits' numbers (defaults in login-limits.ts); tests lower them. */
  loginLimits?: Partial<LoginLimitSettings>;
}

export interface App {
  app: FastifyInstance;
  ctx: InboxContext;
  io: InboxSocketServer;
  fetcher: MessageFetcher | null;
  reconciler: Reconciler | null;
}

export async function buildApp(c: AppComponents): Promise<App> {
  const app = Fastify({
    logger: {
      level: c.logLevel ?? c.config.logLevel,
      // Secrets never reach the log: session cookies, credentials, signatures.
      redact: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-twilio-signature"]', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
      // Readable lines for a person at a terminal; JSON lines for everything else (files, journald,
      // log collectors). The pretty printer runs in a worker thread of pino's.
      ...(c.logStream ? { stream: c.logStream } : process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
    },
    // X-Forwarded-For (the client address the login limit counts), -Proto and -Host are believed
    // only from the proxies TRUST_PROXY names; by default from no one, since any client can send them.
    trustProxy: c.config.trustProxy,
    bodyLimit: 256 * 1024,
  });
  const demoMode = Boolean(c.demo);
  const events = new InboxEvents();
  const settings = createSettingsStore(c.db);
  const templates = createTemplateCatalog(c.twilio);
  let fetcher: MessageFetcher | null = null;
  const conversations = createConversationFeed({ db: c.db, events, log: app.log });
  const senders = await loadSenders({ db: c.db, twilio: c.twilio, log: app.log }, c.twilioConfig);
  const ctx: InboxContext = {
    db: c.db, twilio: c.twilio, events, conversations, settings, senders, baseUrl: c.config.baseUrl, log: app.log,
    wakeWorker: () => fetcher?.wake(),
  };
  const statuses = createStatusBatcher(ctx);

  // 1. Outside plugins, in a fixed order.
  registerErrorHandler(app);
  // The panel's policy, checked in Chromium by test/browser/security.test.ts. Only our own scripts
  // and stylesheets: React writes its style props through the CSSOM, which CSP does not block, so no
  // 'unsafe-inline'. Images and audio may also come from https: the media route redirects a media
  // URL that is not Twilio's there. Fetches and Socket.IO go to ourselves only ('self' covers our
  // own ws/wss in CSP 3; BASE_URL's is named for browsers before it). The preview of a file about to
  // be sent is a blob: URL the panel made from the chosen file. Never framed. HSTS and the
  // upgrade of http subresources only when BASE_URL is https: a plain-http install (demo, LAN) would
  // otherwise break, and browsers ignore HSTS over http anyway.
  const httpsOnly = c.config.baseUrl.startsWith('https://');
  const publicOrigin = new URL(c.config.baseUrl).origin;
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'https:', 'blob:'],
        mediaSrc: ["'self'", 'https:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", publicOrigin.replace(/^http/, 'ws')],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: httpsOnly ? [] : null,
      },
    },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: httpsOnly ? { maxAge: 365 * 86400, includeSubDomains: true } : false,
  });
  // Without SESSION_SECRET, one generated once and kept in the database: sessions survive restarts
  // and are valid on every instance.
  const cookieSecret = c.config.sessionSecret ?? (await checkpointRepository.getOrCreate(c.db, 'session_secret', randomBytes(32).toString('hex')));
  await app.register(cookie, { secret: cookieSecret });
  // Twilio's form bodies, parsed from the raw bytes so non-UTF-8 input is refused (400) instead of
  // being stored with replacement characters, which @fastify/formbody's string parser would do.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseForm(body as Buffer));
    } catch (err) {
      done(err instanceof MalformedBodyError ? err : new MalformedBodyError(String(err)), undefined);
    }
  });
  // JSON bodies: a NUL character (which PostgreSQL cannot store in text) is refused up front.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.includes('\u0000') || /\\u0000/i.test(text)) return done(new MalformedBodyError('a value contains a NUL character'), undefined);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('Malformed JSON body'), { statusCode: 400 }), undefined);
    }
  });
  // Webhooks take only forms, the rest of the API only JSON (route config `bodyType`).
  enforceBodyTypes(app);

  // 2. The app's own plugins.
  await app.register(sessionPlugin, { db: c.db, cookieSecret, publicOrigin });
  if (demoMode) {
    app.addHook('onSend', async (request, reply) => {
      if (request.url.startsWith('/api/')) reply.header('x-demo-mode', 'true');
    });
  }
  const io = attachRealtime(app, { db: c.db, events, publicOrigin, adapter: c.realtimeAdapter, relay: c.realtimeRelay, sessionRecheckMs: c.sessionRecheckMs });
  app.addHook('onClose', () => conversations.close());
  if (c.realtimeLink) {
    const unfollow = followRealtimeLink(io, c.realtimeLink, app.log);
    app.addHook('onClose', async () => unfollow());
  }

  // 3. Routes.
  await app.register(twilioWebhookRoutes, { ctx, statuses, authToken: c.twilioConfig.authToken, baseUrl: c.config.baseUrl });
  await app.register(twilioEventRoutes, {
    ctx, authToken: c.twilioConfig.authToken, baseUrl: c.config.baseUrl, basicAuth: c.config.eventStreamsAuth,
    senders: ctx.senders,
  });
  const loginLimits = createLoginLimits(c.db, { ...DEFAULT_LOGIN_LIMITS, ...c.loginLimits }, app.log);
  await app.register(authRoutes, { db: c.db, secureCookies: httpsOnly, cookieSecret, demoMode, settings, events, limits: loginLimits, defaultCountry: c.config.defaultCountry });
  await app.register(conversationRoutes, {
    ctx, templates,
    defaultCountry: c.config.defaultCountry,
    mediaLinkTtlHours: c.config.mediaLinkTtlHours,
  });
  await app.register(contactAndNoteRoutes, { ctx });
  await app.register(quickReplyRoutes, { ctx });
  await app.register(senderRoutes, { ctx });
  await app.register(adminRoutes, { db: c.db, settings, events });
  await app.register(mediaRoutes, { ctx });
  await app.register(healthRoutes, { db: c.db, realtimeLink: c.realtimeLink });
  if (c.demo) await app.register(demoRoutes, { local: c.demo });

  // The panel: static files, and index.html for any other GET outside /api (client-side routes).
  const hasPanel = existsSync(WEB_DIST + 'index.html');
  if (hasPanel) await app.register(fastifyStatic, { root: WEB_DIST, wildcard: false });
  app.setNotFoundHandler((request, reply) => {
    // /media/ is the public file links' alone: anything else there is a plain 404, not the panel.
    if (hasPanel && request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/socket.io') && !/^\/media(\/|$|\?)/.test(request.url)) {
      return reply.sendFile('index.html');
    }
    return sendError(reply, 404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`, `No existe la ruta ${request.method} ${request.url.split('?')[0]}`);
  });

  let reconciler: Reconciler | null = null;
  if (c.startWorkers !== false) {
    // Texts of outside messages wait while a burst of callbacks is being answered.
    fetcher = startMessageFetcher({ ...ctx, templates }, { giveWay: statuses.giveWay, underLoad: statuses.underLoad, listFill: { minBacklog: c.config.fetchListFill } });
    reconciler = startReconciler(ctx, c.config.reconcileIntervalSeconds, c.config.reconcileRecheck);
    const unconfirmed = startUnconfirmedSendSweep(ctx, c.config.unconfirmedSendSeconds);
    const mediaCleanup = startMediaCleanup(ctx);
    const statistics = startPlannerStatistics(c.db, ctx.log);
    const changeLog = startChangeLogUpkeep(c.db, ctx.log, { underLoad: statuses.underLoad, everyMs: c.changeLogUpkeepMs });
    app.addHook('onClose', async () => {
      await statistics.stop();
      await changeLog.stop();
      await fetcher?.stop();
      await reconciler?.stop();
      await unconfirmed.stop();
      await mediaCleanup.stop();
    });
  }
  return { app, ctx, io, fetcher, reconciler };
}

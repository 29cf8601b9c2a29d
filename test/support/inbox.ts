import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { createServer } from 'node:net';
import { io as connectClient, type Socket } from 'socket.io-client';
import twilio from 'twilio';
import { buildApp, type App } from '../../src/app.ts';
import { ensureFirstAdmin } from '../../src/auth/users.ts';
import { loadConfig } from '../../src/config/env.ts';
import { connectPostgres, type Database } from '../../src/db/database.ts';
import type { ClientToServerEvents, ConversationDto, ServerToClientEvents } from '../../src/contract/api.ts';
import { connectRedisAdapter } from '../../src/realtime/redis-adapter.ts';
import { createTwilioGateway } from '../../src/twilio/gateway.ts';
import { startLocalTwilio, type LifecycleOptions, type LocalTwilio } from '../../src/twilio/local/server.ts';
import { databaseKinds, openTestDatabase, type DatabaseKind } from './databases.ts';

export const ADMIN = { email: 'admin@clinica.test', password: 'correct-horse-battery' };
export const OUR_NUMBER = 'whatsapp:+14155238886';
export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const newSid = (prefix = 'SM') => prefix + hex(16);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestSession {
  cookie: string;
  csrfToken: string;
  /** `cookie` and `x-csrf-token`: spread them into the headers of any request, writes included. */
  headers: { cookie: string; 'x-csrf-token': string };
}

export interface TestInbox extends App {
  db: Database;
  kind: DatabaseKind;
  databaseUrl: string | null;
  local: LocalTwilio;
  baseUrl: string;
  authToken: string;
  accountSid: string;
  /** POSTs a form to our server signed as Twilio would sign it. */
  postSigned(pathAndQuery: string, params: Record<string, string>, o?: { signature?: string | null }): Promise<Response>;
  /** Logs in as the panel does: the cookie, and the CSRF token every cookie-authenticated write must send. */
  login(email?: string, password?: string): Promise<TestSession>;
  /** Just the session cookie (reads, sockets). */
  loginCookie(email?: string, password?: string): Promise<string>;
  connectSocket(cookie?: string): Promise<Socket<ServerToClientEvents, ClientToServerEvents>>;
  /** Stops the HTTP server (and its workers) but keeps the database and the local Twilio. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port and database (a restart). */
  restartServer(o?: { startWorkers?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startTestInbox(o: {
  kind: DatabaseKind;
  lifecycle?: LifecycleOptions;
  startWorkers?: boolean;
  messagingServiceSid?: boolean;
  reconcileIntervalSeconds?: number;
  /** Share Socket.IO events through this Redis (several instances). */
  redisUrl?: string;
  /** The adapter's channel prefix, so a test's instances hear only each other on the shared Redis. */
  redisKey?: string;
  /** Every log line of the server, at trace level, goes here. */
  logStream?: NodeJS.WritableStream;
  /** How often open sockets' sessions are checked again (default the server's). */
  sessionRecheckMs?: number;
  /** How often the server prunes the change log (default the server's; null: never by itself). */
  changeLogUpkeepMs?: number | null;
  /** More environment variables for the server's configuration. */
  env?: Record<string, string>;
  /** More WhatsApp numbers of ours besides OUR_NUMBER: at the local Twilio, and in TWILIO_WHATSAPP_FROM. */
  moreSenders?: string[];
}): Promise<TestInbox> {
  const database = await openTestDatabase(o.kind);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const accountSid = 'AC' + hex(16);
  const authToken = hex(16);
  const messagingServiceSid = 'MG' + hex(16);
  const local = await startLocalTwilio({
    accountSid, authToken, port: 0, whatsappFrom: OUR_NUMBER, moreSenders: o.moreSenders, messagingServiceSid,
    statusCallbackUrl: `${baseUrl}/api/whatsapp/status`,
    inboundUrl: `${baseUrl}/api/whatsapp/incoming`,
    lifecycle: o.lifecycle ?? { delayMs: 20 },
  });
  const config = loadConfig({
    PORT: String(port), BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken,
    TWILIO_WHATSAPP_FROM: [OUR_NUMBER, ...(o.moreSenders ?? [])].join(','), TWILIO_API_URL: local.url, LOG_LEVEL: process.env.WA_TEST_LOG_LEVEL ?? 'silent',
    RECONCILE_INTERVAL: String(o.reconcileIntervalSeconds ?? 0),
    ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SESSION_SECRET: 'a-test-secret-of-enough-length',
    ...(o.messagingServiceSid ? { TWILIO_MESSAGING_SERVICE_SID: messagingServiceSid } : {}),
    ...o.env,
  });
  await ensureFirstAdmin(database.db, config.admin);

  let built: App;
  const redis = o.redisUrl ? connectRedisAdapter(o.redisUrl, { key: o.redisKey }) : null;
  // The server does not wait for Redis; tests that share events start once it is linked.
  if (redis) await waitFor(() => redis.link.state === 'up', 'the Redis link', 10_000);
  const start = async (startWorkers = o.startWorkers) => {
    built = await buildApp({
      config, twilioConfig: config.twilio!, db: database.db, twilio: createTwilioGateway(config.twilio!), startWorkers, realtimeAdapter: redis?.adapter, realtimeRelay: redis?.relay, realtimeLink: redis?.link,
      ...(o.logStream ? { logStream: o.logStream, logLevel: 'trace' } : {}),
      sessionRecheckMs: o.sessionRecheckMs,
      changeLogUpkeepMs: o.changeLogUpkeepMs,
    });
    await built.app.listen({ port, host: '127.0.0.1' });
  };
  await start();
  const sockets: Socket[] = [];
  let serverUp = true;

  const inbox: TestInbox = {
    get app() { return built.app; },
    get ctx() { return built.ctx; },
    get io() { return built.io; },
    get fetcher() { return built.fetcher; },
    get reconciler() { return built.reconciler; },
    db: database.db, kind: o.kind, databaseUrl: database.url, local, baseUrl, authToken, accountSid,

    async postSigned(pathAndQuery, params, so = {}) {
      const signature = so.signature === undefined ? twilio.getExpectedTwilioSignature(authToken, baseUrl + pathAndQuery, params) : so.signature;
      return fetch(baseUrl + pathAndQuery, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
        body: new URLSearchParams(params).toString(),
      });
    },

    async login(email = ADMIN.email, password = ADMIN.password) {
      const res = await fetch(baseUrl + '/api/auth/login', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      return { cookie, csrfToken, headers: { cookie, 'x-csrf-token': csrfToken } };
    },

    async loginCookie(email, password) {
      return (await inbox.login(email, password)).cookie;
    },

    async connectSocket(cookie) {
      const socket = await connectPanelSocket(baseUrl, cookie);
      sockets.push(socket);
      return socket;
    },

    async stopServer() {
      if (!serverUp) return;
      serverUp = false;
      await built.app.close();
    },

    async restartServer(ro = {}) {
      await inbox.stopServer();
      await start(ro.startWorkers ?? o.startWorkers);
      serverUp = true;
    },

    async close() {
      sockets.forEach((s) => s.close());
      await inbox.stopServer();
      await local.close();
      await redis?.close();
      await database.close();
    },
  };
  return inbox;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
/**
 * A customer writes to us first (opening WhatsApp's 24-hour window) through the local Twilio; resolves
 * with the conversation once the inbox lists it.
 */
export async function customerWrites(
  inbox: TestInbox, session: TestSession, phone: string, o: { body?: string; profileName?: string } = {},
): Promise<ConversationDto> {
  await inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body: o.body ?? 'Buenos días', profileName: o.profileName ?? 'Cliente' });
  return waitFor(async () => {
    const res = await fetch(`${inbox.baseUrl}/api/conversations?q=${encodeURIComponent(phone.slice(1))}`, { headers: session.headers });
    return ((await res.json()) as { items: ConversationDto[] }).items.find((c) => c.contact.phone === phone);
  }, 'the conversation');
}

/**
 * A JSON call to the inbox's API as `session` (its cookie and CSRF header): the status and the parsed
 * answer (null for an empty body). `body`, when given, goes as JSON (a string too: `"texto"`).
 */
export async function callApi<T>(
  baseUrl: string, session: { headers: Record<string, string> }, method: string, path: string, body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...session.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
}

export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A status callback as Twilio sends it for a WhatsApp message. */
export function statusParams(sid: string, status: string, o: { to?: string; from?: string; accountSid?: string; errorCode?: number; extra?: Record<string, string> } = {}): Record<string, string> {
  const to = o.to ?? 'whatsapp:+573153369631';
  return {
    MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status,
    AccountSid: o.accountSid ?? 'AC' + '0'.repeat(32), From: o.from ?? OUR_NUMBER, To: to,
    ChannelToAddress: to.replace('whatsapp:', ''), ChannelPrefix: 'whatsapp', ChannelInstallSid: 'XE' + '1'.repeat(32), ApiVersion: '2010-04-01',
    ...(o.errorCode ? { ErrorCode: String(o.errorCode), ChannelStatusMessage: 'failed' } : {}),
    ...(o.extra ?? {}),
  };
}

/** A panel's socket, connected (its handshake answered), with this session cookie. */
export async function connectPanelSocket(url: string, cookie?: string): Promise<Socket<ServerToClientEvents, ClientToServerEvents>> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connectClient(url, {
    transports: ['websocket'], extraHeaders: cookie ? { cookie } : {}, reconnection: false, forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

/**
 * A second server on instance A's database and local Twilio, sharing Socket.IO events through
 * `redisUrl`: two instances behind a load balancer.
 */
export async function startSecondInstance(a: TestInbox, redisUrl: string, o: { startWorkers?: boolean; redisKey?: string } = {}): Promise<App & { url: string; close(): Promise<void> }> {
  const port = await freePort();
  const config = loadConfig({
    BASE_URL: a.baseUrl, TWILIO_ACCOUNT_SID: a.accountSid, TWILIO_AUTH_TOKEN: a.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
    TWILIO_API_URL: a.local.url, LOG_LEVEL: 'silent', SESSION_SECRET: 'a-test-secret-of-enough-length', RECONCILE_INTERVAL: '0',
  });
  const db = connectPostgres(a.databaseUrl!, { max: 4 });
  const redis = connectRedisAdapter(redisUrl, { key: o.redisKey });
  await waitFor(() => redis.link.state === 'up', 'the Redis link', 10_000);
  const built = await buildApp({
    config, twilioConfig: config.twilio!, db, twilio: createTwilioGateway(config.twilio!), startWorkers: o.startWorkers ?? false,
    realtimeAdapter: redis.adapter, realtimeRelay: redis.relay, realtimeLink: redis.link,
  });
  await built.app.listen({ port, host: '127.0.0.1' });
  return {
    ...built,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await built.app.close();
      await redis.close();
      await db.close();
    },
  };
}

export const TEST_REDIS_URL = process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Why two instances cannot run here (false: they can): they share a PostgreSQL database and Redis. */
export const skipTwoInstances = process.env.WA_SKIP_REDIS ? 'Redis not available' : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;
export type SecondInstance = Awaited<ReturnType<typeof startSecondInstance>>;

/**
 * For a describe(): instances A and B behind a (pretend) load balancer, on one PostgreSQL database
 * and a Redis channel of the suite's own, started before its tests and closed after them.
 */
export function twoInstances(name: string): { a(): TestInbox; b(): SecondInstance } {
  let a: TestInbox | undefined;
  let b: SecondInstance | undefined;
  const key = `${name}-${newSid()}`;
  before(async () => {
    a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl: TEST_REDIS_URL, redisKey: key });
    b = await startSecondInstance(a, TEST_REDIS_URL, { redisKey: key });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });
  return { a: () => a!, b: () => b! };
}

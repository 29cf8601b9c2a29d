import { isIP, isIPv4 } from 'node:net';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { isWhatsappAddress } from '../messages/addresses.ts';

// One schema for the whole environment, validated once at start; tests reuse it through loadConfig().
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  PORT: optional(z.coerce.number().int().min(0).max(65535)),
  HOST: optional(z.string()),
  BASE_URL: optional(z.string().url().refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  DATA_DIR: optional(z.string()),
  TWILIO_ACCOUNT_SID: optional(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')),
  TWILIO_AUTH_TOKEN: optional(z.string().min(16, 'looks too short for a Twilio auth token')),
  // One number, or several separated by commas (the first is the default for existing data).
  TWILIO_WHATSAPP_FROM: optional(z.string().transform(parseWhatsAppSenders)),
  TWILIO_MESSAGING_SERVICE_SID: optional(z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits')),
  TWILIO_API_URL: optional(z.string().url()),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL')),
  ADMIN_EMAIL: optional(z.string().email()),
  ADMIN_PASSWORD: optional(z.string().min(8, 'must have at least 8 characters')),
  SESSION_SECRET: optional(z.string().min(16, 'must have at least 16 characters')),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  RECONCILE_INTERVAL: optional(z.coerce.number().int().min(0)),
  RECONCILE_RECHECK_PER_PASS: optional(z.coerce.number().int().min(0).max(10_000)),
  RECONCILE_RECHECK_DAYS: optional(z.coerce.number().int().min(1).max(3650)),
  FETCH_LIST_FILL: optional(z.coerce.number().int().min(0)),
  TWILIO_REQUEST_TIMEOUT_MS: optional(z.coerce.number().int().min(100).max(120_000)),
  UNCONFIRMED_SEND_TIMEOUT: optional(z.coerce.number().int().min(1)),
  MEDIA_LINK_TTL_HOURS: optional(z.coerce.number().int().min(1).max(24 * 365)),
  TRUST_PROXY: optional(z.string().transform(parseTrustProxy)),
  EVENT_STREAMS_USER: optional(z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'letters, digits and . _ ~ - only (it goes in the sink URL)')),
  EVENT_STREAMS_PASSWORD: optional(z.string().min(16, 'must have at least 16 characters')),
  DEFAULT_COUNTRY: optional(z.string().trim().toUpperCase().refine(isSupportedCountry, 'must be a country code such as CO, MX or US (ISO 3166 alpha-2)')),
});

export type Env = z.infer<typeof envSchema>;

/** Demo mode's one WhatsApp number (Twilio's sandbox number), played by the local Twilio. */
export const DEMO_WHATSAPP_FROM = 'whatsapp:+14155238886';

/** TWILIO_WHATSAPP_FROM's numbers (none: only a Messaging Service, or demo mode). */
export const configuredNumbers = (t: Pick<TwilioConfig, 'whatsappSenders' | 'whatsappFrom'> | null | undefined): string[] =>
  t?.whatsappSenders?.length ? t.whatsappSenders : t?.whatsappFrom ? [t.whatsappFrom] : [];

/** The number existing conversations belong to when a migration gives them a sender: the first configured one. */
export const defaultSenderOf = (config: Config): string | null => (config.twilio ? config.twilio.whatsappFrom : DEMO_WHATSAPP_FROM);


/** TWILIO_WHATSAPP_FROM: one or more `whatsapp:+57...`, comma-separated, each checked, duplicates dropped. */
function parseWhatsAppSenders(value: string, ctx: z.RefinementCtx): string[] {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = items.filter((item) => !isWhatsappAddress(item));
  if (bad.length || !items.length) {
    ctx.addIssue({ code: 'custom', message: `must look like whatsapp:+573001234567 (several separated by commas)${bad.length ? `; not valid: ${bad.map((b) => JSON.stringify(b)).join(', ')}` : ''}` });
    return z.NEVER;
  }
  return [...new Set(items)];
}

// The names @fastify/proxy-addr knows for whole ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Whether an IPv4 netmask (255.255.255.0) is a valid, non-empty prefix, as proxy-addr takes it. */
function isNetmask(mask: string): boolean {
  if (!isIPv4(mask)) return false;
  const bits = mask.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const host = 2 ** 32 - 1 - bits;
  return bits !== 0 && (host & (host + 1)) === 0;
}

/** One proxy of TRUST_PROXY: an address, a CIDR (or IPv4 address/netmask), or a named range. */
function isProxyAddress(item: string): boolean {
  if (PROXY_RANGE_NAMES.has(item)) return true;
  const slash = item.lastIndexOf('/');
  if (slash === -1) return isIP(item) !== 0;
  const address = item.slice(0, slash);
  const range = item.slice(slash + 1);
  const family = isIP(address);
  if (family === 0) return false;
  if (/^\d{1,3}$/.test(range)) return Number(range) >= 1 && Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isNetmask(range);
}

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it: `true`/`false`, or the proxies' addresses and
 * CIDRs, comma-separated. Each item is checked here: a typo must stop the start with its name, not
 * silently trust the wrong peer (or none). A hop count is refused: Fastify 5 ignores one (it cannot
 * tell the proxy from a client that connects directly and sends its own X-Forwarded-For), so every
 * client would share the proxy's address, and its login limit.
 */
function parseTrustProxy(value: string, ctx: z.RefinementCtx): boolean | string {
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'a hop count is not supported (Fastify cannot tell a proxy from a client by it): list the proxy addresses or CIDRs, e.g. 127.0.0.1' });
    return z.NEVER;
  }
  const items = value.split(',').map((item) => item.trim());
  const bad = items.filter((item) => !isProxyAddress(item));
  if (bad.length) {
    ctx.addIssue({ code: 'custom', message: `not a proxy address or CIDR: ${bad.map((b) => JSON.stringify(b)).join(', ')} (expected e.g. 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8, true or false)` });
    return z.NEVER;
  }
  return items.join(',');
}

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** The first of our WhatsApp numbers (TWILIO_WHATSAPP_FROM), or null when only a Messaging Service is set. */
  whatsappFrom: string | null;
  /** Every number TWILIO_WHATSAPP_FROM lists (whatsappFrom first); absent: just whatsappFrom. */
  whatsappSenders?: string[];
  messagingServiceSid: string | null;
  /** Origin every Twilio REST call goes to instead of *.twilio.com (the local Twilio). */
  apiUrl: string | null;
  /** The longest one call to Twilio's API may take, retries of a 429 included. Default 10 s. */
  requestTimeoutMs?: number;
}

export interface Config {
  /**
   * Basic-auth credentials the Event Streams sink URL carries (user:password@host); null: none.
   * The signature is checked either way.
   */
  eventStreamsAuth: { user: string; password: string } | null;
  port: number;
  host: string;
  baseUrl: string;
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  /** Null: demo mode, the server starts a local Twilio in-process. */
  twilio: TwilioConfig | null;
  redisUrl: string | null;
  admin: { email: string; password: string | null };
  /** Null: a secret generated once and kept in the database, so sessions survive restarts. */
  sessionSecret: string | null;
  logLevel: string;
  /** Seconds between reconciliations with Twilio's message list; 0 turns it off. */
  reconcileIntervalSeconds: number;
  /**
   * Each reconciliation also fetches again up to `perPass` outbound messages older than its list
   * whose status can still advance (a lost `read`), none older than `maxAgeDays`; 0 turns it off.
   */
  reconcileRecheck: { perPass: number; maxAgeDays: number };
  /**
   * Outside messages waiting for their text from which the texts are filled from Twilio's message
   * list (a request per 1,000) instead of one fetch each; 0 turns it off.
   */
  fetchListFill: number;
  /**
   * Seconds after which a panel send that Twilio never confirmed (its answer timed out and no
   * callback came) is marked failed.
   */
  unconfirmedSendSeconds: number;
  /** Hours the public link Twilio fetches a sent file from (`/media/out/<token>`) keeps working. */
  mediaLinkTtlHours: number;
  /**
   * Fastify's `trustProxy`: which peers' X-Forwarded-For (and -Proto, -Host) are believed. False by
   * default: the client address (the login limit's key) is the connection's own.
   */
  trustProxy: boolean | string;
  /** ISO 3166 alpha-2 country a phone number typed without `+` is read in (a new chat's number). Default CO. */
  defaultCountry: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment variables:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment and reports every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const hasSid = Boolean(e.TWILIO_ACCOUNT_SID);
  const hasToken = Boolean(e.TWILIO_AUTH_TOKEN);
  if (hasSid !== hasToken) problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both or neither (neither = demo mode)');
  if (hasSid && hasToken && !e.TWILIO_WHATSAPP_FROM && !e.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push('TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID: one is needed to send');
  }
  const requestTimeoutMs = e.TWILIO_REQUEST_TIMEOUT_MS ?? 10_000;
  const unconfirmedSendSeconds = e.UNCONFIRMED_SEND_TIMEOUT ?? 600;
  // A send still waiting for Twilio's answer must never be taken for one Twilio never confirmed.
  if (unconfirmedSendSeconds * 1000 <= requestTimeoutMs) {
    problems.push(`UNCONFIRMED_SEND_TIMEOUT: must be longer than TWILIO_REQUEST_TIMEOUT_MS (${requestTimeoutMs} ms)`);
  }
  if (!e.EVENT_STREAMS_USER !== !e.EVENT_STREAMS_PASSWORD) {
    problems.push('EVENT_STREAMS_USER and EVENT_STREAMS_PASSWORD: set both or neither');
  }
  if (problems.length) throw new ConfigError(problems);

  const port = e.PORT ?? 8080;
  return {
    port,
    host: e.HOST ?? '0.0.0.0',
    baseUrl: (e.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dataDir: e.DATA_DIR ?? './data' },
    twilio: hasSid
      ? {
          accountSid: e.TWILIO_ACCOUNT_SID!,
          authToken: e.TWILIO_AUTH_TOKEN!,
          whatsappFrom: e.TWILIO_WHATSAPP_FROM?.[0] ?? null,
          whatsappSenders: e.TWILIO_WHATSAPP_FROM ?? [],
          messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID ?? null,
          apiUrl: e.TWILIO_API_URL ?? null,
          requestTimeoutMs,
        }
      : null,
    redisUrl: e.REDIS_URL ?? null,
    admin: { email: e.ADMIN_EMAIL ?? 'admin@localhost', password: e.ADMIN_PASSWORD ?? null },
    sessionSecret: e.SESSION_SECRET ?? null,
    logLevel: e.LOG_LEVEL ?? 'info',
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL ?? 300,
    reconcileRecheck: { perPass: e.RECONCILE_RECHECK_PER_PASS ?? 100, maxAgeDays: e.RECONCILE_RECHECK_DAYS ?? 30 },
    fetchListFill: e.FETCH_LIST_FILL ?? 200,
    unconfirmedSendSeconds,
    mediaLinkTtlHours: e.MEDIA_LINK_TTL_HOURS ?? 72,
    trustProxy: e.TRUST_PROXY ?? false,
    defaultCountry: e.DEFAULT_COUNTRY ?? 'CO',
    eventStreamsAuth: e.EVENT_STREAMS_USER && e.EVENT_STREAMS_PASSWORD ? { user: e.EVENT_STREAMS_USER, password: e.EVENT_STREAMS_PASSWORD } : null,
  };
}

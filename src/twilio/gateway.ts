import twilio from 'twilio';
import { readTemplateContent } from './content-types.ts';
import type { TwilioConfig } from '../config/env.ts';
import type { MessageStatus, TemplateDto } from '../contract/api.ts';
import { createTwilioHttpClient } from './http-client.ts';
import { Readable } from 'node:stream';

// Twilio is an outside system: the domain talks to it only through this adapter.

export interface TwilioMessage {
  sid: string;
  status: MessageStatus;
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string;
  body: string;
  numMedia: number;
  dateCreated: Date | null;
  dateSent: Date | null;
  /** When Twilio last changed it: about when its current status was reached. */
  dateUpdated: Date | null;
  errorCode: number | null;
  errorMessage: string | null;
  messagingServiceSid: string | null;
}

/** Templates as the panel gets them. */
export type TwilioTemplate = TemplateDto;

export interface SendRequest {
  to: string;
  /** Our number it goes from (omitted: the configured one, or the service picks). */
  from?: string;
  /** Through this Messaging Service (with `from`, Twilio sends from that number of the service). */
  messagingServiceSid?: string | null;
  body?: string;
  contentSid?: string;
  contentVariables?: Record<string, string>;
  /** Public URLs Twilio fetches the message's media from (WhatsApp takes one). */
  mediaUrl?: string[];
  statusCallback: string;
}

export interface ServiceWebhooks {
  sid: string;
  name: string;
  statusCallback: string | null;
  inboundRequestUrl: string | null;
}

export interface SenderWebhooks {
  sid: string;
  /** whatsapp:+57... */
  senderId: string;
  callbackUrl: string | null;
  statusCallbackUrl: string | null;
}

/** An Event Streams sink (DG...). */
export interface EventSink {
  sid: string;
  description: string;
  sinkType: string;
  /** A webhook sink's URL (credentials included, as configured). */
  destination: string | null;
  /** initialized, validating, active or failed. */
  status: string;
}

/** An Event Streams subscription (DF...) of a sink to event types. */
export interface EventSubscription {
  sid: string;
  sinkSid: string;
  description: string;
}

export interface TwilioGateway {
  readonly accountSid: string;
  listEventSinks(): Promise<EventSink[]>;
  createWebhookSink(description: string, destination: string): Promise<EventSink>;
  listEventSubscriptions(sinkSid: string): Promise<EventSubscription[]>;
  /** The event types a subscription holds. */
  listSubscribedEventTypes(subscriptionSid: string): Promise<string[]>;
  createEventSubscription(sinkSid: string, description: string, types: readonly string[]): Promise<EventSubscription>;
  /** Adds one event type to a subscription. */
  addSubscribedEventType(subscriptionSid: string, type: string): Promise<void>;
  fetchService(sid: string): Promise<ServiceWebhooks>;
  updateService(sid: string, w: { statusCallback: string; inboundRequestUrl: string }): Promise<ServiceWebhooks>;
  listWhatsAppSenders(): Promise<SenderWebhooks[]>;
  /** A Messaging Service's WhatsApp senders (whatsapp:+57...), from its ChannelSenders. */
  listServiceSenders(serviceSid: string): Promise<string[]>;
  updateSender(sid: string, w: { callbackUrl: string; statusCallbackUrl: string }): Promise<SenderWebhooks>;
  send(r: SendRequest): Promise<TwilioMessage>;
  fetchMessage(sid: string): Promise<TwilioMessage>;
  /** Every message of the account in the date range, newest first, page by page. */
  listMessages(o: { since: Date; until?: Date; pageSize?: number }): AsyncIterable<TwilioMessage>;
  /**
   * The account's messages sent on the UTC days `firstDay` to `lastDay` (YYYY-MM-DD, both included),
   * optionally only those from one sender, newest first, one page (one request) at a time.
   */
  listMessagePagesByDay(o: { firstDay: string; lastDay: string; from?: string; pageSize?: number }): AsyncIterable<TwilioMessage[]>;
  listTemplates(): Promise<TwilioTemplate[]>;
  /**
   * The media items of a message (its Media subresource): each item's URL is where Twilio serves
   * its bytes, the form an inbound webhook's MediaUrlN has. A 404 (no such message) is thrown.
   */
  listMedia(messageSid: string): Promise<{ url: string; contentType: string | null }[]>;
  /** Downloads a Twilio-hosted media file with the account's credentials. */
  /**
   * A media file, streamed. `range` (one `bytes=` range) is passed on: Twilio's CDN answers 206
   * with only those bytes, so a player's seeks do not download the whole file each time. The
   * caller reads or destroys `body`.
   */
  fetchMedia(url: string, o?: { range?: string }): Promise<FetchedMedia>;
  /** Whether a URL is Twilio's own (only those ever get our credentials). */
  isTwilioMediaUrl(url: string): boolean;
}

export interface FetchedMedia {
  status: number;
  contentType: string | null;
  contentLength: number | null;
  /** On a 206 or 416: which bytes of how many. */
  contentRange: string | null;
  body: Readable;
}

/** A Twilio API error, with Twilio's numeric code (63016, 21211, ...) when it gave one. */
export class TwilioRequestError extends Error {
  constructor(message: string, readonly status: number | null, readonly code: number | null) {
    super(message);
    this.name = 'TwilioRequestError';
  }
}

/**
 * The request may have reached Twilio but its answer never came back: it timed out, the
 * connection dropped, or Twilio's edge answered 504. Twilio may have done the work (created the
 * message), so this is no refusal: the outcome is unknown.
 */
export class TwilioOutcomeUnknownError extends TwilioRequestError {
  constructor(message: string, status: number | null = null) {
    super(message, status, null);
    this.name = 'TwilioOutcomeUnknownError';
  }
}

// Failures that happen before a request can leave this machine: Twilio never saw it.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']);

function toRequestError(err: unknown): TwilioRequestError {
  if (err instanceof TwilioRequestError) return err;
  const e = err as { status?: number; code?: number | string; message?: string };
  if (typeof e?.status === 'number') {
    if (e.status === 504) return new TwilioOutcomeUnknownError(`Twilio answered 504 (gateway timeout): ${e.message ?? ''}`, 504);
    return new TwilioRequestError(e.message ?? 'Twilio error', e.status, typeof e.code === 'number' ? e.code : null);
  }
  const reason = e?.message || String(e?.code ?? err);
  if (typeof e?.code === 'string' && NEVER_SENT.has(e.code)) return new TwilioRequestError(`Twilio could not be reached: ${reason}`, null, null);
  // A timeout, a reset or dropped connection, an answer we could not read: Twilio may have acted.
  return new TwilioOutcomeUnknownError(`No answer from Twilio: ${reason}`);
}

type MessageInstance = { sid: string; status: string; direction: string; from: string | null; to: string; body: string; numMedia: string; dateCreated: Date | null; dateSent: Date | null; dateUpdated: Date | null; errorCode: number | null; errorMessage: string | null; messagingServiceSid: string | null };

function toTwilioMessage(m: MessageInstance): TwilioMessage {
  return {
    sid: m.sid,
    status: m.status as MessageStatus,
    // Twilio says outbound-api, outbound-call, outbound-reply; all are ours going out.
    direction: m.direction?.startsWith('inbound') ? 'inbound' : 'outbound',
    from: m.from,
    to: m.to,
    body: m.body ?? '',
    numMedia: Number(m.numMedia ?? 0),
    dateCreated: m.dateCreated ?? null,
    dateSent: m.dateSent ?? null,
    dateUpdated: m.dateUpdated ?? null,
    errorCode: m.errorCode ?? null,
    errorMessage: m.errorMessage ?? null,
    messagingServiceSid: m.messagingServiceSid ?? null,
  };
}

/** Fills a template's {{n}} placeholders; unknown ones stay visible rather than vanish. */
export function renderTemplate(body: string, variables: Record<string, string> | null): string {
  return body.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => variables?.[key] ?? whole);
}

// No request to Twilio may hang a send, a fetch or a shutdown.
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function createTwilioGateway(cfg: TwilioConfig): TwilioGateway {
  // With an httpClient of our own, twilio ignores its `timeout` option: the client carries it
  // (and retries 429s within it), for the real Twilio and the local one alike.
  const client = twilio(cfg.accountSid, cfg.authToken, {
    httpClient: createTwilioHttpClient({ apiUrl: cfg.apiUrl, timeoutMs: cfg.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS }),
  });
  const twilioOrigins = cfg.apiUrl ? [new URL(cfg.apiUrl).origin] : [];
  // Where media files are downloaded from: the local Twilio when one stands in for api.twilio.com.
  const mediaOrigin = cfg.apiUrl ? new URL(cfg.apiUrl).origin : 'https://api.twilio.com';

  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw toRequestError(err);
    }
  };
  type Service = { sid: string; friendlyName: string; statusCallback: string | null; inboundRequestUrl: string | null };
  const toService = (s: Service): ServiceWebhooks => ({ sid: s.sid, name: s.friendlyName, statusCallback: s.statusCallback || null, inboundRequestUrl: s.inboundRequestUrl || null });
  // The library hands the webhook back camelCased (its own class), though it is sent snake_case.
  type Webhook = { callbackUrl?: string | null; statusCallbackUrl?: string | null; callback_url?: string | null; status_callback_url?: string | null };
  type Sender = { sid: string; senderId: string; webhook?: Webhook | null };
  const toSender = (s: Sender): SenderWebhooks => ({
    sid: s.sid,
    senderId: s.senderId,
    callbackUrl: s.webhook?.callbackUrl ?? s.webhook?.callback_url ?? null,
    statusCallbackUrl: s.webhook?.statusCallbackUrl ?? s.webhook?.status_callback_url ?? null,
  });

  type Sink = { sid: string; description: string; sinkType: string; sinkConfiguration: Record<string, unknown> | null; status: string };
  const toSink = (x: Sink): EventSink => ({
    sid: x.sid, description: x.description, sinkType: x.sinkType, status: x.status,
    destination: typeof x.sinkConfiguration?.destination === 'string' ? x.sinkConfiguration.destination : null,
  });
  type Subscription = { sid: string; sinkSid: string; description: string };
  const toSubscription = (x: Subscription): EventSubscription => ({ sid: x.sid, sinkSid: x.sinkSid, description: x.description });
  /** Follows the list's next_page_uri page by page. */
  async function* pagesOf(params: { dateSentAfter?: Date; dateSentBefore?: Date; from?: string; pageSize: number }): AsyncIterable<TwilioMessage[]> {
    let page;
    try {
      page = await client.messages.page(params);
    } catch (err) {
      throw toRequestError(err);
    }
    while (page) {
      yield page.instances.map((m) => toTwilioMessage(m as unknown as MessageInstance));
      try {
        page = await page.nextPage();
      } catch (err) {
        throw toRequestError(err);
      }
    }
  }

  return {
    accountSid: cfg.accountSid,

    listEventSinks: () => guarded(async () => ((await client.events.v1.sinks.list({ pageSize: 100 })) as unknown as Sink[]).map(toSink)),
    createWebhookSink: (description, destination) =>
      guarded(async () => toSink((await client.events.v1.sinks.create({
        description, sinkType: 'webhook', sinkConfiguration: { destination, method: 'POST', batch_events: true },
      })) as unknown as Sink)),
    listEventSubscriptions: (sinkSid) =>
      guarded(async () => ((await client.events.v1.subscriptions.list({ sinkSid, pageSize: 100 })) as unknown as Subscription[]).map(toSubscription)),
    listSubscribedEventTypes: (subscriptionSid) =>
      guarded(async () => (await client.events.v1.subscriptions(subscriptionSid).subscribedEvents.list({ pageSize: 100 })).map((t) => t.type)),
    createEventSubscription: (sinkSid, description, types) =>
      guarded(async () => toSubscription((await client.events.v1.subscriptions.create({
        sinkSid, description, types: types.map((type) => ({ type, schema_version: type.includes('inbound-message') ? 1 : 8 })),
      })) as unknown as Subscription)),
    addSubscribedEventType: (subscriptionSid, type) =>
      guarded(async () => {
        await client.events.v1.subscriptions(subscriptionSid).subscribedEvents.create({ type, schemaVersion: type.includes('inbound-message') ? 1 : 8 });
      }),

    fetchService: (sid) => guarded(async () => toService((await client.messaging.v1.services(sid).fetch()) as unknown as Service)),

    updateService: (sid, w) =>
      guarded(async () => toService((await client.messaging.v1.services(sid).update({ statusCallback: w.statusCallback, inboundRequestUrl: w.inboundRequestUrl, inboundMethod: 'POST' })) as unknown as Service)),

    listWhatsAppSenders: () =>
      guarded(async () => {
        const senders = (await client.messaging.v2.channelsSenders.list({ channel: 'whatsapp', pageSize: 100 } as never)) as unknown as Sender[];
        return senders.map(toSender);
      }),

    listServiceSenders: (serviceSid) =>
      guarded(async () => {
        const items = await client.messaging.v1.services(serviceSid).channelSenders.list({ pageSize: 100 });
        return items.map((x) => x.sender).filter((a): a is string => typeof a === 'string' && a.startsWith('whatsapp:'));
      }),

    // The Senders API takes JSON; twilio-node sends the object as given, so the keys are snake_case.
    updateSender: (sid, w) =>
      guarded(async () =>
        toSender((await client.messaging.v2.channelsSenders(sid).update({
          webhook: { callback_url: w.callbackUrl, callback_method: 'POST', status_callback_url: w.statusCallbackUrl, status_callback_method: 'POST' },
        } as never)) as unknown as Sender),
      ),

    async send(r) {
      try {
        const m = await client.messages.create({
          to: r.to,
          ...(r.from
            ? { from: r.from, ...(r.messagingServiceSid ? { messagingServiceSid: r.messagingServiceSid } : {}) }
            : cfg.messagingServiceSid ? { messagingServiceSid: cfg.messagingServiceSid } : { from: cfg.whatsappFrom! }),
          ...(r.contentSid
            ? { contentSid: r.contentSid, contentVariables: r.contentVariables ? JSON.stringify(r.contentVariables) : undefined }
            : { body: r.body }),
          ...(r.mediaUrl?.length ? { mediaUrl: r.mediaUrl } : {}),
          statusCallback: r.statusCallback,
        });
        return toTwilioMessage(m as unknown as MessageInstance);
      } catch (err) {
        throw toRequestError(err);
      }
    },

    async fetchMessage(sid) {
      try {
        return toTwilioMessage((await client.messages(sid).fetch()) as unknown as MessageInstance);
      } catch (err) {
        throw toRequestError(err);
      }
    },

    async *listMessages(o) {
      // The library sends whole seconds: round the upper bound up so the last second is included.
      const until = o.until ? new Date(Math.ceil(o.until.getTime() / 1000) * 1000 + 1000) : undefined;
      for await (const page of pagesOf({ dateSentAfter: o.since, dateSentBefore: until, pageSize: o.pageSize ?? 1000 })) yield* page;
    },

    listMessagePagesByDay(o) {
      // Twilio documents its DateSent filters by day (YYYY-MM-DD); the library passes a string as is.
      return pagesOf({ dateSentAfter: o.firstDay as unknown as Date, dateSentBefore: o.lastDay as unknown as Date, from: o.from, pageSize: o.pageSize ?? 1000 });
    },

    async listTemplates() {
      try {
        const items = await client.content.v1.contentAndApprovals.list({ pageSize: 500 });
        return items.map((c) => {
          // ContentAndApprovals nests WhatsApp's verdict under approval_requests.whatsapp.
          const requests = c.approvalRequests as { whatsapp?: { status?: string }; status?: string } | undefined;
          const approval = requests?.whatsapp?.status ?? requests?.status;
          return {
            sid: c.sid,
            name: c.friendlyName,
            language: c.language,
            ...readTemplateContent((c.types ?? {}) as Record<string, unknown>),
            variables: (c.variables ?? {}) as unknown as Record<string, string>,
            approved: approval === 'approved',
          };
        });
      } catch (err) {
        throw toRequestError(err);
      }
    },

    async listMedia(messageSid) {
      try {
        // WhatsApp carries one item per message; Twilio allows ten on MMS, so one page holds any.
        const items = await client.messages(messageSid).media.list({ pageSize: 100 });
        // `uri` is the item's JSON resource, relative to the API's origin; without `.json` it is the file.
        return items.map((m) => ({ url: new URL(m.uri.replace(/\.json$/, ''), mediaOrigin).href, contentType: m.contentType ?? null }));
      } catch (err) {
        throw toRequestError(err);
      }
    },

    isTwilioMediaUrl(url) {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return false;
      }
      if (twilioOrigins.includes(u.origin)) return true;
      return u.protocol === 'https:' && (u.hostname === 'api.twilio.com' || u.hostname.endsWith('.twilio.com'));
    },

    async fetchMedia(url, o = {}) {
      // Twilio answers media with a redirect to its CDN; fetch follows it and drops the
      // Authorization header when the origin changes, which is what we want (Range is kept).
      // 15 s for the answer to start; then the body streams at the reader's (a browser's) pace,
      // for at most 10 minutes, and stops if the reader goes away.
      const abort = new AbortController();
      let timer = setTimeout(() => abort.abort(new Error('Twilio media: no answer within 15 s')), 15_000);
      let res: Response;
      try {
        res = await fetch(url, {
          headers: {
            authorization: 'Basic ' + Buffer.from(`${cfg.accountSid}:${cfg.authToken}`).toString('base64'),
            ...(o.range ? { range: o.range } : {}),
          },
          signal: abort.signal,
        });
      } finally {
        clearTimeout(timer);
      }
      timer = setTimeout(() => abort.abort(new Error('Twilio media: body not read within 10 minutes')), 10 * 60_000);
      timer.unref();
      const body = res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) : Readable.from([]);
      body.once('close', () => {
        clearTimeout(timer);
        abort.abort();
      });
      const length = res.headers.get('content-length');
      return {
        status: res.status,
        contentType: res.headers.get('content-type'),
        contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : null,
        contentRange: res.headers.get('content-range'),
        body,
      };
    },
  };
}

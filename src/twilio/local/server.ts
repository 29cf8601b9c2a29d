import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { postSignedForm, Scheduler, type CallbackLog } from './callbacks.ts';
import { contentResource, messageResource, senderResource, serviceResource, twilioError } from './resources.ts';
import { LocalStore, newSid, type LocalMessage, type LocalTemplate } from './store.ts';

export type { LocalMessage, LocalTemplate } from './store.ts';

export interface LifecycleOptions {
  /** Statuses that follow `queued`, each announced by a callback. Default sent, delivered, read. */
  statuses?: string[];
  /** Delay between steps. Default 50 ms. */
  delayMs?: number;
  /** Send the callbacks in a shuffled order (the stored status still advances in order). */
  reorder?: boolean;
  /** Send each callback twice. */
  duplicate?: boolean;
  /** After queued, fail with this error code. */
  failWith?: number | null;
}

export interface LocalTwilioOptions {
  accountSid: string;
  authToken: string;
  port?: number;
  host?: string;
  /** Default status callback for messages created without one (what the service/sender has configured). */
  statusCallbackUrl?: string;
  /** Where simulated customer messages are posted (our /api/whatsapp/incoming). */
  inboundUrl?: string;
  messagingServiceSid?: string;
  whatsappFrom?: string;
  lifecycle?: LifecycleOptions;
  /** Free text to a customer who has not written in 24 h fails with 63016, as on WhatsApp. Default true. */
  enforceWindow?: boolean;
  logger?: { info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
}

export interface Fault {
  status?: number;
  delayMs?: number;
  count?: number;
  pathContains?: string;
}

export interface LocalTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  messagingServiceSid: string;
  close(): Promise<void>;
  setWebhooks(w: { statusCallbackUrl?: string; inboundUrl?: string }): void;
  setLifecycle(l: LifecycleOptions): void;
  simulateInbound(m: { from: string; body?: string; profileName?: string; media?: { url?: string; contentType: string }[]; buttonPayload?: string; buttonText?: string; latitude?: number; longitude?: number; repliedToSid?: string }): Promise<{ sid: string; status: number }>;
  simulateExternalSend(m: { to: string; body?: string; contentSid?: string; contentVariables?: Record<string, string>; viaService?: boolean; statusCallback?: string }): Promise<{ sid: string }>;
  messages(): LocalMessage[];
  callbacks(): CallbackLog[];
  addTemplate(t: Omit<LocalTemplate, 'sid'>): LocalTemplate;
  injectFault(f: Fault | null): void;
  idle(): Promise<void>;
}

const WINDOW_MS = 24 * 3600_000;
const WHATSAPP_ADDRESS = /^whatsapp:\+[1-9]\d{6,14}$/;
// A 1x1 PNG: what inbound media URLs serve.
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`HTTP ${status}`);
  }
}

const render = (body: string, vars: Record<string, string> | null) => body.replace(/\{\{\s*(\w+)\s*\}\}/g, (w, k: string) => vars?.[k] ?? w);

/**
 * A local Twilio: the part of Twilio's REST API wa-inbox uses, plus Twilio's side of the webhooks
 * (signed status callbacks through a message's lifecycle, signed inbound messages). The real
 * twilio library reaches it through its httpClient option (src/twilio/http-client.ts).
 */
export async function startLocalTwilio(o: LocalTwilioOptions): Promise<LocalTwilio> {
  const store = new LocalStore(o.accountSid);
  const scheduler = new Scheduler();
  const callbackLog: CallbackLog[] = [];
  const log = o.logger;
  let lifecycle: Required<LifecycleOptions> = { statuses: ['sent', 'delivered', 'read'], delayMs: 50, reorder: false, duplicate: false, failWith: null, ...o.lifecycle };
  let fault: (Fault & { used: number }) | null = null;
  let defaultStatusCallback = o.statusCallbackUrl ?? null;
  let defaultInbound = o.inboundUrl ?? null;
  const serviceSid = o.messagingServiceSid ?? newSid('MG');
  store.services.set(serviceSid, { sid: serviceSid, friendlyName: 'Clínica WhatsApp', statusCallback: null, inboundRequestUrl: null });
  const whatsappFrom = o.whatsappFrom ?? 'whatsapp:+14155238886';
  const senderSid = newSid('XE');
  store.senders.set(senderSid, { sid: senderSid, senderId: whatsappFrom, callbackUrl: null, statusCallbackUrl: null });

  const statusCallbackFor = (m: LocalMessage) =>
    m.statusCallback ?? (m.messagingServiceSid ? store.services.get(m.messagingServiceSid)?.statusCallback : null) ?? store.senders.get(senderSid)?.statusCallbackUrl ?? defaultStatusCallback;
  const inboundUrl = () => store.services.get(serviceSid)?.inboundRequestUrl ?? store.senders.get(senderSid)?.callbackUrl ?? defaultInbound;

  function callbackParams(m: LocalMessage, status: string): Record<string, string> {
    const failed = status === 'failed' || status === 'undelivered';
    return {
      MessageSid: m.sid, SmsSid: m.sid, SmsStatus: status, MessageStatus: status, AccountSid: o.accountSid,
      From: m.from ?? whatsappFrom, To: m.to, ChannelToAddress: m.to.replace('whatsapp:', ''), ChannelPrefix: 'whatsapp',
      ChannelInstallSid: senderSid, ApiVersion: '2010-04-01',
      ...(m.messagingServiceSid ? { MessagingServiceSid: m.messagingServiceSid } : {}),
      ...(status === 'sent' ? { StructuredMessage: 'false' } : {}),
      ...(status === 'delivered' ? { EventType: 'DELIVERED' } : {}),
      ...(status === 'read' ? { EventType: 'READ' } : {}),
      ...(failed && m.errorCode ? { ErrorCode: String(m.errorCode), ChannelStatusMessage: m.errorMessage ?? '' } : {}),
    };
  }

  /** Plays the message's lifecycle: the stored status advances in order; callbacks go out as configured. */
  function scheduleLifecycle(m: LocalMessage) {
    const l = lifecycle;
    const outsideWindow = (o.enforceWindow ?? true) && !m.contentSid && !((store.lastInbound.get(m.to)?.getTime() ?? 0) > Date.now() - WINDOW_MS);
    const failCode = outsideWindow ? 63016 : l.failWith;
    const steps = failCode ? ['failed'] : l.statuses;
    const announced = l.reorder ? [...steps].sort(() => Math.random() - 0.5) : steps;
    steps.forEach((status, i) => {
      scheduler.after(l.delayMs * (i + 1), async () => {
        if (m.status === 'failed') return;
        m.status = status;
        m.dateUpdated = new Date();
        if (status === 'sent' || (status !== 'failed' && !m.dateSent)) m.dateSent ??= new Date();
        if (status === 'failed') {
          m.errorCode = failCode;
          m.errorMessage = failCode === 63016
            ? 'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.'
            : `Message failed with error ${failCode}`;
        }
        const url = statusCallbackFor(m);
        if (!url) return;
        const params = callbackParams(m, announced[i]!);
        await postSignedForm(o.authToken, url, params, callbackLog);
        if (l.duplicate) await postSignedForm(o.authToken, url, params, callbackLog);
      });
    });
  }

  function createMessage(p: URLSearchParams): LocalMessage {
    const to = p.get('To');
    const from = p.get('From');
    const service = p.get('MessagingServiceSid');
    const body = p.get('Body');
    const contentSid = p.get('ContentSid');
    const contentVariables = p.get('ContentVariables');
    const mediaUrls = p.getAll('MediaUrl');
    if (!to) throw new HttpError(400, twilioError(400, 21604, "A 'To' phone number is required."));
    if (!WHATSAPP_ADDRESS.test(to)) throw new HttpError(400, twilioError(400, 21211, `Invalid 'To' Phone Number: ${to}`));
    if (!from && !service) throw new HttpError(400, twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"));
    if (from && from !== whatsappFrom) throw new HttpError(400, twilioError(400, 63007, `Twilio could not find a Channel with the specified From address: ${from}`));
    if (service && !store.services.has(service)) throw new HttpError(404, twilioError(404, 21701, `The Messaging Service Sid ${service} is invalid.`));
    if (contentVariables && !contentSid) throw new HttpError(400, twilioError(400, 21654, 'ContentVariables cannot be used without a ContentSid.'));
    let vars: Record<string, string> | null = null;
    if (contentVariables) {
      try {
        vars = JSON.parse(contentVariables);
        if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) throw new Error('not an object');
      } catch {
        throw new HttpError(400, twilioError(400, 21656, 'The ContentVariables Parameter is invalid.'));
      }
    }
    const template = contentSid ? store.templates.get(contentSid) : null;
    if (contentSid && !template) throw new HttpError(400, twilioError(400, 21655, `The Content SID ${contentSid} is invalid.`));
    if (!body && !contentSid && !mediaUrls.length) throw new HttpError(400, twilioError(400, 21602, 'Message body is required.'));
    const now = new Date();
    const m = store.add({
      sid: newSid(mediaUrls.length ? 'MM' : 'SM'),
      accountSid: o.accountSid,
      direction: 'outbound-api',
      // Through a service the sender is picked when the message goes out.
      from: service ? null : from,
      to,
      // Twilio answers "" for a Content API template sent through a Messaging Service (twilio-node #1081).
      body: template ? (service ? '' : render(template.body, vars)) : (body ?? ''),
      status: service ? 'accepted' : 'queued',
      numMedia: mediaUrls.length,
      media: [],
      errorCode: null,
      errorMessage: null,
      messagingServiceSid: service,
      contentSid,
      statusCallback: p.get('StatusCallback'),
      dateCreated: now,
      dateSent: null,
      dateUpdated: now,
    });
    if (service) m.from = whatsappFrom;
    scheduleLifecycle(m);
    return m;
  }

  function listMessages(q: URLSearchParams, path: string) {
    const pageSize = Math.min(Math.max(Number(q.get('PageSize') ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(q.get('Page') ?? 0) || 0, 0);
    const bound = (value: string | null, end: 'start' | 'end') => {
      if (!value) return null;
      const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
      const t = new Date(dayOnly ? `${value}T00:00:00Z` : value).getTime();
      if (Number.isNaN(t)) throw new HttpError(400, twilioError(400, 20001, `Invalid DateSent: ${value}`));
      return dayOnly && end === 'end' ? t + 86400_000 - 1 : t;
    };
    const after = bound(q.get('DateSent>'), 'start');
    const before = bound(q.get('DateSent<'), 'end');
    const on = q.get('DateSent');
    const onStart = bound(on, 'start'), onEnd = bound(on, 'end');
    const to = q.get('To'), from = q.get('From');
    const matches: LocalMessage[] = [];
    for (let i = store.order.length - 1; i >= 0; i--) {
      const m = store.order[i]!;
      const t = (m.dateSent ?? m.dateCreated).getTime();
      if (to && m.to !== to) continue;
      if (from && m.from !== from) continue;
      if (after !== null && t < after) continue;
      if (before !== null && t > before) continue;
      if (onStart !== null && (t < onStart || t > onEnd!)) continue;
      matches.push(m);
    }
    const start = page * pageSize;
    const slice = matches.slice(start, start + pageSize);
    const filters = new URLSearchParams();
    for (const key of ['To', 'From', 'DateSent>', 'DateSent<', 'DateSent']) if (q.get(key)) filters.set(key, q.get(key)!);
    const pageUri = (n: number) => {
      const u = new URLSearchParams(filters);
      u.set('PageSize', String(pageSize));
      u.set('Page', String(n));
      u.set('PageToken', `PA${n * pageSize}`);
      return `${path}?${u.toString()}`;
    };
    return {
      messages: slice.map(messageResource),
      end: start + slice.length - 1,
      first_page_uri: pageUri(0),
      next_page_uri: start + pageSize < matches.length ? pageUri(page + 1) : null,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      page,
      page_size: pageSize,
      start,
      uri: pageUri(page),
    };
  }

  const metaPage = (key: string, items: unknown[], url: string) => ({
    [key]: items,
    meta: { page: 0, page_size: items.length, first_page_url: url, previous_page_url: null, next_page_url: null, url, key },
  });

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Basic ')) return false;
    return Buffer.from(h.slice(6), 'base64').toString('utf8') === `${o.accountSid}:${o.authToken}`;
  }

  async function simulateInbound(m: Parameters<LocalTwilio['simulateInbound']>[0]): Promise<{ sid: string; status: number }> {
    const media = (m.media ?? []).map((x) => ({ sid: newSid('ME'), contentType: x.contentType }));
    const now = new Date();
    const msg = store.add({
      sid: newSid(media.length ? 'MM' : 'SM'), accountSid: o.accountSid, direction: 'inbound', from: m.from, to: whatsappFrom,
      body: m.body ?? '', status: 'received', numMedia: media.length, media, errorCode: null, errorMessage: null,
      messagingServiceSid: serviceSid, contentSid: null, statusCallback: null, dateCreated: now, dateSent: now, dateUpdated: now,
    });
    store.lastInbound.set(m.from, now);
    const url = inboundUrl();
    if (!url) return { sid: msg.sid, status: 0 };
    const params: Record<string, string> = {
      MessageSid: msg.sid, SmsMessageSid: msg.sid, SmsSid: msg.sid, AccountSid: o.accountSid, MessagingServiceSid: serviceSid,
      From: m.from, To: whatsappFrom, Body: msg.body, NumMedia: String(media.length), NumSegments: '1', SmsStatus: 'received',
      ApiVersion: '2010-04-01', ProfileName: m.profileName ?? '', WaId: m.from.replace('whatsapp:+', ''),
      MessageType: media.length ? 'image' : m.latitude !== undefined ? 'location' : m.buttonPayload ? 'button' : 'text',
      ...(m.buttonPayload ? { ButtonPayload: m.buttonPayload, ButtonText: m.buttonText ?? m.buttonPayload } : {}),
      ...(m.repliedToSid ? { OriginalRepliedMessageSid: m.repliedToSid } : {}),
      ...(m.latitude !== undefined && m.longitude !== undefined ? { Latitude: String(m.latitude), Longitude: String(m.longitude) } : {}),
    };
    media.forEach((x, i) => {
      params[`MediaUrl${i}`] = `${local.url}/2010-04-01/Accounts/${o.accountSid}/Messages/${msg.sid}/Media/${x.sid}`;
      params[`MediaContentType${i}`] = x.contentType;
    });
    const status = await scheduler.track(postSignedForm(o.authToken, url, params, callbackLog));
    return { sid: msg.sid, status: status ?? 0 };
  }

  async function simulateExternalSend(m: Parameters<LocalTwilio['simulateExternalSend']>[0]): Promise<{ sid: string }> {
    const p = new URLSearchParams({ To: m.to });
    if (m.viaService) p.set('MessagingServiceSid', serviceSid);
    else p.set('From', whatsappFrom);
    if (m.body) p.set('Body', m.body);
    if (m.contentSid) p.set('ContentSid', m.contentSid);
    if (m.contentVariables) p.set('ContentVariables', JSON.stringify(m.contentVariables));
    if (m.statusCallback) p.set('StatusCallback', m.statusCallback);
    return { sid: createMessage(p).sid };
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<unknown> {
    const method = req.method ?? 'GET';
    const base = `/2010-04-01/Accounts/${o.accountSid}`;
    const raw = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
    const json = () => (raw ? JSON.parse(raw) : {});
    const form = () => new URLSearchParams(raw);
    let match: RegExpMatchArray | null;

    if (path.startsWith('/_local/')) {
      if (path === '/_local/inbound' && method === 'POST') return simulateInbound(json());
      if (path === '/_local/external-send' && method === 'POST') return simulateExternalSend(json());
      if (path === '/_local/webhooks' && method === 'PUT') { local.setWebhooks(json()); return { ok: true }; }
      if (path === '/_local/lifecycle' && method === 'PUT') { local.setLifecycle(json()); return { ok: true }; }
      if (path === '/_local/fault' && method === 'PUT') { local.injectFault(raw ? json() : null); return { ok: true }; }
      if (path === '/_local/messages' && method === 'GET') return { messages: store.order.map(messageResource) };
      throw new HttpError(404, twilioError(404, 20404, 'The requested resource was not found'));
    }

    if (fault && (!fault.pathContains || path.includes(fault.pathContains))) {
      const f = fault;
      f.used++;
      if (f.count !== undefined && f.used >= f.count) fault = null;
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
      if (f.status) throw new HttpError(f.status, twilioError(f.status, f.status === 429 ? 20429 : 20500, f.status === 429 ? 'Too Many Requests' : 'Internal Server Error'));
    }

    if (path === `${base}/Messages.json`) {
      if (method === 'POST') { res.statusCode = 201; return messageResource(createMessage(form())); }
      if (method === 'GET') return listMessages(query, path);
    }
    if ((match = path.match(new RegExp(`^${base}/Messages/((?:SM|MM)[0-9a-f]{32})/Media/(ME[0-9a-f]{32})$`)))) {
      const m = store.messages.get(match[1]!);
      const media = m?.media.find((x) => x.sid === match![2]);
      if (!media) throw new HttpError(404, twilioError(404, 20404, 'The requested resource was not found'));
      res.setHeader('content-type', media.contentType);
      return PIXEL;
    }
    if ((match = path.match(new RegExp(`^${base}/Messages/((?:SM|MM)[0-9a-f]{32})\\.json$`))) && method === 'GET') {
      const m = store.messages.get(match[1]!);
      if (!m) throw new HttpError(404, twilioError(404, 20404, `The requested resource ${path} was not found`));
      return messageResource(m);
    }
    if (path === '/v1/Content' && method === 'GET') return metaPage('contents', [...store.templates.values()].map((t) => contentResource(t, o.accountSid, false)), 'https://content.twilio.com/v1/Content');
    if (path === '/v1/ContentAndApprovals' && method === 'GET') return metaPage('contents', [...store.templates.values()].map((t) => contentResource(t, o.accountSid, true)), 'https://content.twilio.com/v1/ContentAndApprovals');
    if ((match = path.match(/^\/v1\/Content\/(HX[0-9a-f]{32})$/)) && method === 'GET') {
      const t = store.templates.get(match[1]!);
      if (!t) throw new HttpError(404, twilioError(404, 20404, 'The requested resource was not found'));
      return contentResource(t, o.accountSid, false);
    }
    if ((match = path.match(/^\/v1\/Services\/(MG[0-9a-f]{32})$/))) {
      const s = store.services.get(match[1]!);
      if (!s) throw new HttpError(404, twilioError(404, 20404, 'The requested resource was not found'));
      if (method === 'POST') {
        const p = form();
        if (p.has('StatusCallback')) s.statusCallback = p.get('StatusCallback') || null;
        if (p.has('InboundRequestUrl')) s.inboundRequestUrl = p.get('InboundRequestUrl') || null;
        if (p.has('FriendlyName')) s.friendlyName = p.get('FriendlyName')!;
      }
      return serviceResource(s, o.accountSid);
    }
    if (path === '/v2/Channels/Senders' && method === 'GET') return metaPage('senders', [...store.senders.values()].map(senderResource), 'https://messaging.twilio.com/v2/Channels/Senders');
    if ((match = path.match(/^\/v2\/Channels\/Senders\/(XE[0-9a-f]{32})$/))) {
      const s = store.senders.get(match[1]!);
      if (!s) throw new HttpError(404, twilioError(404, 20404, 'The requested resource was not found'));
      if (method === 'POST') {
        const webhook = (json() as { webhook?: { callback_url?: string; status_callback_url?: string } }).webhook ?? {};
        if ('callback_url' in webhook) s.callbackUrl = webhook.callback_url ?? null;
        if ('status_callback_url' in webhook) s.statusCallbackUrl = webhook.status_callback_url ?? null;
      }
      return senderResource(s);
    }
    throw new HttpError(404, twilioError(404, 20404, `The requested resource ${path} was not found`));
  }

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://local');
    const respond = (status: number, body: unknown) => {
      if (res.headersSent) return;
      res.statusCode = status;
      if (Buffer.isBuffer(body)) return res.end(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (!authorized(req)) return respond(401, twilioError(401, 20003, 'Authenticate'));
    route(req, res, u.pathname, u.searchParams)
      .then((body) => respond(res.statusCode === 201 ? 201 : 200, body))
      .catch((err) => {
        if (err instanceof HttpError) return respond(err.status, err.body);
        log?.error(err);
        respond(500, twilioError(500, 20500, 'Internal Server Error'));
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const address = server.address() as { port: number };

  const local: LocalTwilio = {
    url: `http://${o.host ?? '127.0.0.1'}:${address.port}`,
    accountSid: o.accountSid,
    authToken: o.authToken,
    messagingServiceSid: serviceSid,
    async close() {
      scheduler.cancelAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setWebhooks(w) {
      if (w.statusCallbackUrl !== undefined) {
        defaultStatusCallback = w.statusCallbackUrl;
        // What a console user would change: the service's and the sender's configured URL.
        store.services.get(serviceSid)!.statusCallback = null;
        store.senders.get(senderSid)!.statusCallbackUrl = w.statusCallbackUrl;
      }
      if (w.inboundUrl !== undefined) defaultInbound = w.inboundUrl;
    },
    setLifecycle(l) {
      lifecycle = { statuses: ['sent', 'delivered', 'read'], delayMs: 50, reorder: false, duplicate: false, failWith: null, ...l };
    },
    simulateInbound,
    simulateExternalSend,
    messages: () => [...store.order],
    callbacks: () => [...callbackLog],
    addTemplate: (t) => store.addTemplate(t),
    injectFault(f) {
      fault = f ? { ...f, used: 0 } : null;
    },
    idle: () => scheduler.idle(),
  };
  return local;
}

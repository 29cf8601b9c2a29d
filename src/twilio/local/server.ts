import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebhookSender, type CallbackLog } from './callbacks.ts';
import { controlRoutes } from './control-routes.ts';
import { LocalEventStreams, type LocalSink, type LocalSubscription } from './event-streams.ts';
import { FaultInjector, type Fault } from './faults.ts';
import type { LifecycleOptions } from './lifecycle.ts';
import { LocalAccount, type ExternalSendInput, type InboundInput } from './local-account.ts';
import { answer, dispatch, errorAnswer, hasAccountCredentials, readBody, type Route } from './router.ts';
import { restRoutes } from './routes.ts';
import { Scheduler } from './scheduler.ts';
import { LocalStore, newSid, type LocalMessage, type LocalTemplate } from './store.ts';
import { injectedFailure, TwilioApiError, unauthenticated } from './twilio-errors.ts';

export type { CallbackLog } from './callbacks.ts';
export type { Fault } from './faults.ts';
export type { LifecycleOptions } from './lifecycle.ts';
export type { LocalMessage, LocalTemplate } from './store.ts';
export type { LocalSink, LocalSubscription } from './event-streams.ts';

/**
 * A local Twilio: the part of Twilio's REST API wa-inbox uses, and Twilio's side of the webhooks
 * (signed status callbacks through each message's lifecycle, signed inbound messages). The real
 * twilio library reaches it through its httpClient option (src/twilio/http-client.ts).
 */
export interface LocalTwilioOptions {
  /** 'AC' + 32 hex. */
  accountSid: string;
  authToken: string;
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The origin others reach this server at (inbound media URLs use it). Default http://host:port. */
  publicUrl?: string;
  /** The Messaging Service's and the sender's configured status callback: where callbacks go for messages created without StatusCallback. */
  statusCallbackUrl?: string;
  /** Where simulated inbound customer messages are POSTed (our /api/whatsapp/incoming). */
  inboundUrl?: string;
  /** 'MG...': the account's Messaging Service (a random one when omitted). */
  messagingServiceSid?: string;
  /** 'whatsapp:+57...': our WhatsApp sender. Default Twilio's sandbox number. */
  whatsappFrom?: string;
  /** More WhatsApp numbers of the account (all in the Messaging Service's sender pool). */
  moreSenders?: string[];
  lifecycle?: LifecycleOptions;
  /** Free text to a customer who has not written in 24 h fails with 63016, as on WhatsApp. Default true. */
  enforceWindow?: boolean;
  /** Content API templates to add to the seeded clinic ones. */
  templates?: Omit<LocalTemplate, 'sid'>[];
  /**
   * Customers who wrote before this local Twilio started (`whatsapp:+57…` and when), so their
   * 24-hour window is still open: a demo restarted with its database must not fail every reply
   * with 63016 while the panel shows the window open.
   */
  customersWhoWrote?: { address: string; at: Date }[];
  logger?: { info(...a: any[]): void; warn(...a: any[]): void; error(...a: any[]): void };
}

export interface LocalTwilio {
  /** Origin, e.g. http://127.0.0.1:4010. */
  url: string;
  accountSid: string;
  authToken: string;
  messagingServiceSid: string;
  /** The WhatsApp sender's SID (XE...), as GET /v2/Channels/Senders lists it. */
  whatsappSenderSid: string;
  whatsappFrom: string;
  /** Every WhatsApp number of the account (whatsappFrom first). */
  whatsappSenders: string[];
  close(): Promise<void>;
  /** What someone would change in the console: the service's and the sender's URLs. */
  setWebhooks(w: { statusCallbackUrl?: string; inboundUrl?: string }): void;
  /** Applies to messages created from now on. */
  setLifecycle(l: LifecycleOptions): void;
  /** A customer writes to us: stores an inbound message and POSTs the signed inbound webhook. Resolves with the HTTP status our server answered (0: none). */
  simulateInbound(m: InboundInput): Promise<{ sid: string; status: number }>;
  /** An outside system sends through the API: same as a REST create; callbacks go to the configured URL unless statusCallback is given. */
  simulateExternalSend(m: ExternalSendInput): Promise<{ sid: string }>;
  /** Everything stored (copies), oldest first. */
  messages(): LocalMessage[];
  /** Event Streams' sinks and subscriptions as created through the API (copies). */
  eventStreams(): { sinks: LocalSink[]; subscriptions: LocalSubscription[] };
  /** Every webhook posted (status callbacks, inbound, Event Streams deliveries), oldest first, with our server's answer. */
  callbacks(): CallbackLog[];
  addTemplate(t: Omit<LocalTemplate, 'sid'>): LocalTemplate;
  /** Every REST request received (not the control API), oldest first: what our server asked Twilio (`query` with its `?`, or ''). */
  requests(): { method: string; path: string; query: string; range?: string }[];
  /**
   * Changes a stored message as Twilio's side would (a status reached, dates) without sending any
   * callback: a callback lost on the way. Its date_updated becomes now unless given.
   */
  updateMessage(sid: string, patch: Partial<Pick<LocalMessage, 'status' | 'dateCreated' | 'dateSent' | 'dateUpdated' | 'errorCode' | 'errorMessage'>>): LocalMessage;
  /** Deletes a message, as Twilio's DELETE does: fetching it answers 404 from then on. */
  deleteMessage(sid: string): void;
  /** Make the REST API misbehave on the next `count` requests (omitted: until cleared with null). */
  injectFault(f: Fault | null): void;
  /** Requests the last injected fault matched, and how many it is holding right now (delayMs). */
  faultStats(): { matched: number; held: number };
  /** Resolves when every scheduled callback has been attempted. */
  idle(): Promise<void>;
}

/** The request log keeps the newest this many (a demo server runs for weeks). */
const REQUEST_LOG_SIZE = 100_000;

export async function startLocalTwilio(o: LocalTwilioOptions): Promise<LocalTwilio> {
  const store = new LocalStore(o.accountSid);
  for (const t of o.templates ?? []) store.addTemplate(t);
  for (const c of o.customersWhoWrote ?? []) store.lastInbound.set(c.address, c.at);
  const scheduler = new Scheduler();
  const webhooks = new WebhookSender(o.authToken, o.logger);
  const faults = new FaultInjector();
  const eventStreams = new LocalEventStreams(o.accountSid, webhooks);
  const account = new LocalAccount(store, scheduler, webhooks, eventStreams, {
    accountSid: o.accountSid,
    serviceSid: o.messagingServiceSid ?? newSid('MG'),
    whatsappFrom: o.whatsappFrom ?? 'whatsapp:+14155238886',
    moreSenders: o.moreSenders ?? [],
    statusCallbackUrl: o.statusCallbackUrl ?? null,
    inboundUrl: o.inboundUrl ?? null,
    lifecycle: o.lifecycle,
    enforceWindow: o.enforceWindow ?? true,
  });
  const rest = [...restRoutes(account, store), ...eventStreams.routes()];
  const requestLog: { method: string; path: string; query: string; range?: string }[] = [];
  const control = controlRoutes(account, store, faults);

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    if (!hasAccountCredentials(req, o.accountSid, o.authToken)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
      return answer(res, errorAnswer(unauthenticated()));
    }
    const isControl = url.pathname.startsWith('/_local/');
    const routes: Route[] = isControl ? control : rest;
    const logged = { method: req.method ?? 'GET', path: url.pathname, query: url.search, ...(req.headers.range ? { range: req.headers.range } : {}) };
    if (!isControl && requestLog.push(logged) > REQUEST_LOG_SIZE) requestLog.shift();
    try {
      // The body is read before any fault holds the request, so a held request is still handled
      // when its client has given up by then, as Twilio would.
      const body = req.method === 'GET' ? '' : await readBody(req);
      const fault = isControl ? null : await faults.apply(url.pathname);
      if (closing) return;
      const result = fault?.status ? errorAnswer(injectedFailure(fault.status)) : await dispatch(routes, req, url, body);
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (fault?.retryAfter !== undefined) res.setHeader('Retry-After', String(fault.retryAfter));
      answer(res, result, req.headers.range);
    } catch (err) {
      if (err instanceof TwilioApiError) return answer(res, errorAnswer(err));
      o.logger?.error({ err, path: url.pathname }, 'local twilio: request failed');
      answer(res, errorAnswer(new TwilioApiError(500, 20500, 'An internal server error has occurred')));
    }
  }

  let closing = false;
  // A failure outside handle()'s own catch (a client gone while being answered) drops that request
  // only: in demo mode this server runs inside wa-inbox's process.
  const server = createServer((req, res) => handle(req, res).catch((err) => {
    o.logger?.error({ err }, 'local twilio: request failed');
    res.destroy();
  }));
  // Longer than the clients' idle timeout (Node's agent: 5 s), so a client never writes to a
  // socket this side is closing.
  server.keepAliveTimeout = 65_000;
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const url = o.publicUrl?.replace(/\/$/, '') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  account.publicUrl = url;
  o.logger?.info(`local twilio listening on ${url} (account ${o.accountSid})`);

  return {
    url,
    accountSid: o.accountSid,
    authToken: o.authToken,
    messagingServiceSid: account.service.sid,
    whatsappSenderSid: account.sender.sid,
    whatsappFrom: account.whatsappFrom,
    whatsappSenders: account.senders.map((x) => x.senderId),
    async close() {
      closing = true;
      scheduler.cancelAll();
      faults.close();
      webhooks.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await scheduler.idle();
    },
    setWebhooks: (w) => account.setWebhooks(w),
    setLifecycle: (l) => account.setLifecycle(l),
    simulateInbound: (m) => account.receive(m),
    simulateExternalSend: async (m) => ({ sid: account.externalSend(m).sid }),
    requests: () => requestLog.slice(),
    updateMessage: (sid, patch) => {
      const m = store.messages.get(sid);
      if (!m) throw new Error(`no message ${sid} at the local Twilio`);
      Object.assign(m, { dateUpdated: new Date() }, patch);
      return { ...m };
    },
    deleteMessage: (sid) => {
      if (!store.removeMessage(sid)) throw new Error(`no message ${sid} at the local Twilio`);
    },
    messages: () => store.order.map((m) => ({ ...m, media: m.media.map((x) => ({ ...x })) })),
    callbacks: () => webhooks.deliveries(),
    eventStreams: () => ({
      sinks: [...eventStreams.sinks.values()].map((x) => ({ ...x })),
      subscriptions: [...eventStreams.subscriptions.values()].map((x) => ({ ...x, types: [...x.types] })),
    }),
    addTemplate: (t) => store.addTemplate(t),
    injectFault: (f) => faults.set(f),
    faultStats: () => faults.stats(),
    idle: () => scheduler.idle(),
  };
}

import { randomUUID } from 'node:crypto';
import type { WebhookSender } from './callbacks.ts';
import { metaPage } from './paging.ts';
import type { Route } from './router.ts';
import { newSid, type LocalMessage } from './store.ts';
import { badRequest, notFound } from './twilio-errors.ts';

// Event Streams (events.twilio.com/v1): webhook sinks, subscriptions of a sink to event types, and
// the deliveries: a signed JSON array of CloudEvents for every status change of every message,
// whatever its own StatusCallback says.

export const EVENTS_ORIGIN = 'https://events.twilio.com';
const SID = (prefix: string) => `(${prefix}[0-9a-f]{32})`;
const iso8601 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface LocalSink {
  sid: string;
  description: string;
  sinkType: string;
  /** { destination, method } for a webhook sink. */
  configuration: Record<string, unknown>;
  status: string;
  dateCreated: Date;
}

export interface LocalSubscription {
  sid: string;
  description: string;
  sinkSid: string;
  types: { type: string; schemaVersion: number }[];
  dateCreated: Date;
}

const sinkResource = (s: LocalSink) => ({
  date_created: iso8601(s.dateCreated),
  date_updated: iso8601(s.dateCreated),
  description: s.description,
  sid: s.sid,
  sink_configuration: s.configuration,
  sink_type: s.sinkType,
  status: s.status,
  url: `${EVENTS_ORIGIN}/v1/Sinks/${s.sid}`,
  links: { sink_test: `${EVENTS_ORIGIN}/v1/Sinks/${s.sid}/Test`, sink_validate: `${EVENTS_ORIGIN}/v1/Sinks/${s.sid}/Validate` },
});

const subscriptionResource = (s: LocalSubscription, accountSid: string) => ({
  account_sid: accountSid,
  sid: s.sid,
  date_created: iso8601(s.dateCreated),
  date_updated: iso8601(s.dateCreated),
  description: s.description,
  sink_sid: s.sinkSid,
  url: `${EVENTS_ORIGIN}/v1/Subscriptions/${s.sid}`,
  links: { subscribed_events: `${EVENTS_ORIGIN}/v1/Subscriptions/${s.sid}/SubscribedEvents` },
  receive_events_from_subaccounts: false,
});

/** The CloudEvent Twilio documents for a message's status (Messaging.MessageStatus) or an inbound message. */
export function messageEvent(m: LocalMessage, status: string, whatsappFrom: string): { type: string; event: Record<string, unknown> } {
  const inbound = m.direction === 'inbound';
  const type = inbound ? 'com.twilio.messaging.inbound-message.received' : `com.twilio.messaging.message.${status}`;
  const now = new Date().toISOString();
  const data: Record<string, unknown> = inbound
    ? { numMedia: m.numMedia, timestamp: now, accountSid: m.accountSid, to: m.to, numSegments: 1, messageSid: m.sid, eventName: type, body: m.body, from: m.from }
    : {
        messageSid: m.sid, timestamp: now, accountSid: m.accountSid, eventName: type, apiVersion: '2010-04-01',
        from: m.from ?? whatsappFrom, to: m.to, messageStatus: status.toUpperCase(), body: m.body, numberOfSegments: 1,
        ...(m.messagingServiceSid ? { messagingServiceSid: m.messagingServiceSid } : {}),
        ...(m.statusCallback ? { statusCallBackUrl: m.statusCallback } : {}),
        ...(status === 'failed' || status === 'undelivered' ? { errorCode: m.errorCode } : {}),
      };
  return {
    type,
    event: {
      specversion: '1.0',
      type,
      source: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
      id: newSid('EZ'),
      dataschema: inbound ? 'https://events-schemas.twilio.com/Messaging.InboundMessageV1/1' : 'https://events-schemas.twilio.com/Messaging.MessageStatus/8',
      datacontenttype: 'application/json',
      time: now,
      data,
    },
  };
}

export class LocalEventStreams {
  readonly sinks = new Map<string, LocalSink>();
  readonly subscriptions = new Map<string, LocalSubscription>();

  constructor(private readonly accountSid: string, private readonly webhooks: WebhookSender) {}

  /**
   * Delivers one event to every webhook sink subscribed to its type (one array per sink, as
   * Twilio batches). Resolves when each was attempted.
   */
  async emit(type: string, event: Record<string, unknown>, messageSid: string): Promise<void> {
    const destinations = new Set<string>();
    for (const sub of this.subscriptions.values()) {
      if (!sub.types.some((t) => t.type === type)) continue;
      const sink = this.sinks.get(sub.sinkSid);
      const destination = sink?.sinkType === 'webhook' ? sink.configuration.destination : null;
      if (typeof destination === 'string') destinations.add(destination);
    }
    const body = JSON.stringify([event]);
    const token = randomUUID();
    await Promise.all([...destinations].map((d) => this.webhooks.postJson(d, body, { MessageSid: messageSid, EventType: type }, token)));
  }

  routes(): Route[] {
    const sinkOf = (sid: string, path: string) => {
      const s = this.sinks.get(sid);
      if (!s) throw notFound(path);
      return s;
    };
    return [
      {
        method: 'GET',
        pattern: /^\/v1\/Sinks$/,
        handle: (r) => ({ json: metaPage('sinks', [...this.sinks.values()], r.query, `${EVENTS_ORIGIN}/v1/Sinks`, new URLSearchParams(), sinkResource) }),
      },
      {
        method: 'POST',
        pattern: /^\/v1\/Sinks$/,
        handle: (r) => {
          const form = r.form();
          const sinkType = form.get('SinkType') ?? '';
          if (!form.get('Description')) throw badRequest(20001, 'Missing required parameter Description in the post body');
          if (!['webhook', 'kinesis', 'segment', 'email'].includes(sinkType)) throw badRequest(20001, `Invalid SinkType: ${sinkType}`);
          let configuration: Record<string, unknown>;
          try {
            configuration = JSON.parse(form.get('SinkConfiguration') ?? '') as Record<string, unknown>;
          } catch {
            throw badRequest(20001, 'SinkConfiguration must be a JSON object');
          }
          if (sinkType === 'webhook') {
            const destination = configuration.destination;
            if (typeof destination !== 'string' || !/^https?:\/\//.test(destination)) throw badRequest(20001, 'A webhook sink needs an http(s) destination');
          }
          // Sinks are active when created (Twilio no longer asks for validation).
          const sink: LocalSink = { sid: newSid('DG'), description: form.get('Description')!, sinkType, configuration, status: 'active', dateCreated: new Date() };
          this.sinks.set(sink.sid, sink);
          return { status: 201, json: sinkResource(sink) };
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/v1/Sinks/${SID('DG')}$`),
        handle: (r) => ({ json: sinkResource(sinkOf(r.params[0]!, r.path)) }),
      },
      {
        method: 'GET',
        pattern: /^\/v1\/Subscriptions$/,
        handle: (r) => {
          const sinkSid = r.query.get('SinkSid');
          const all = [...this.subscriptions.values()].filter((s) => !sinkSid || s.sinkSid === sinkSid);
          const filters = new URLSearchParams(sinkSid ? { SinkSid: sinkSid } : {});
          return { json: metaPage('subscriptions', all, r.query, `${EVENTS_ORIGIN}/v1/Subscriptions`, filters, (s) => subscriptionResource(s, this.accountSid)) };
        },
      },
      {
        method: 'POST',
        pattern: /^\/v1\/Subscriptions$/,
        handle: (r) => {
          const form = r.form();
          const sinkSid = form.get('SinkSid') ?? '';
          sinkOf(sinkSid, `/v1/Sinks/${sinkSid}`);
          const types = form.getAll('Types').map((t) => {
            try {
              const x = JSON.parse(t) as { type?: unknown; schema_version?: unknown };
              if (typeof x.type === 'string') return { type: x.type, schemaVersion: typeof x.schema_version === 'number' ? x.schema_version : 1 };
            } catch {
              // answered below
            }
            throw badRequest(20001, `Invalid Types entry: ${t}`);
          });
          if (!types.length) throw badRequest(20001, 'Missing required parameter Types in the post body');
          const sub: LocalSubscription = { sid: newSid('DF'), description: form.get('Description') ?? '', sinkSid, types, dateCreated: new Date() };
          this.subscriptions.set(sub.sid, sub);
          return { status: 201, json: subscriptionResource(sub, this.accountSid) };
        },
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v1/Subscriptions/${SID('DF')}/SubscribedEvents$`),
        handle: (r) => {
          const sub = this.subscriptions.get(r.params[0]!);
          if (!sub) throw notFound(r.path);
          const form = r.form();
          const type = form.get('Type');
          if (!type) throw badRequest(20001, 'Missing required parameter Type in the post body');
          if (sub.types.some((t) => t.type === type)) throw badRequest(20001, `Type ${type} is already subscribed`);
          const schemaVersion = Number(form.get('SchemaVersion') ?? 1) || 1;
          sub.types.push({ type, schemaVersion });
          const url = `${EVENTS_ORIGIN}/v1/Subscriptions/${sub.sid}/SubscribedEvents`;
          return { status: 201, json: { account_sid: this.accountSid, type, schema_version: schemaVersion, subscription_sid: sub.sid, url: `${url}/${type}` } };
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/v1/Subscriptions/${SID('DF')}/SubscribedEvents$`),
        handle: (r) => {
          const sub = this.subscriptions.get(r.params[0]!);
          if (!sub) throw notFound(r.path);
          const rows = sub.types.map((t) => ({ sid: t.type, ...t }));
          const url = `${EVENTS_ORIGIN}/v1/Subscriptions/${sub.sid}/SubscribedEvents`;
          return {
            json: metaPage('types', rows, r.query, url, new URLSearchParams(), (t) => ({
              account_sid: this.accountSid, type: t.type, schema_version: t.schemaVersion, subscription_sid: sub.sid, url: `${url}/${t.type}`,
            })),
          };
        },
      },
    ];
  }
}

import { configuredNumbers, type Config } from '../config/env.ts';
import { EVENTS_PATH } from '../http/routes/twilio-events.ts';
import { MESSAGING_EVENT_TYPES } from '../messages/event-streams.ts';
import type { TwilioGateway } from '../twilio/gateway.ts';

export const webhookUrls = (baseUrl: string) => ({
  statusCallback: `${baseUrl}/api/whatsapp/status`,
  inbound: `${baseUrl}/api/whatsapp/incoming`,
});

export interface ConfigureChange {
  target: string;
  field: string;
  before: string | null;
  after: string;
  changed: boolean;
}

/**
 * Points the Messaging Service's and the WhatsApp sender's status callback and inbound URL at us.
 * Idempotent: only what differs is written; with dryRun nothing is.
 */
export async function configureTwilio(config: Config, twilio: TwilioGateway, o: { dryRun: boolean }): Promise<ConfigureChange[]> {
  const want = webhookUrls(config.baseUrl);
  const changes: ConfigureChange[] = [];
  const serviceSid = config.twilio?.messagingServiceSid;
  if (serviceSid) {
    const s = await twilio.fetchService(serviceSid);
    const diff = s.statusCallback !== want.statusCallback || s.inboundRequestUrl !== want.inbound;
    changes.push(
      { target: `Messaging Service ${s.sid} (${s.name})`, field: 'status callback', before: s.statusCallback, after: want.statusCallback, changed: s.statusCallback !== want.statusCallback },
      { target: `Messaging Service ${s.sid} (${s.name})`, field: 'inbound URL', before: s.inboundRequestUrl, after: want.inbound, changed: s.inboundRequestUrl !== want.inbound },
    );
    if (diff && !o.dryRun) await twilio.updateService(serviceSid, { statusCallback: want.statusCallback, inboundRequestUrl: want.inbound });
  }
  // Every configured number (none configured: every WhatsApp sender of the account).
  const ours = configuredNumbers(config.twilio);
  const senders = await twilio.listWhatsAppSenders().catch(() => []);
  for (const sender of senders.filter((s) => !ours.length || ours.includes(s.senderId))) {
    const diff = sender.statusCallbackUrl !== want.statusCallback || sender.callbackUrl !== want.inbound;
    changes.push(
      { target: `WhatsApp sender ${sender.senderId} (${sender.sid})`, field: 'status callback', before: sender.statusCallbackUrl, after: want.statusCallback, changed: sender.statusCallbackUrl !== want.statusCallback },
      { target: `WhatsApp sender ${sender.senderId} (${sender.sid})`, field: 'inbound URL', before: sender.callbackUrl, after: want.inbound, changed: sender.callbackUrl !== want.inbound },
    );
    if (diff && !o.dryRun) await twilio.updateSender(sender.sid, { callbackUrl: want.inbound, statusCallbackUrl: want.statusCallback });
  }
  return changes;
}

/** The sink URL Event Streams posts to: BASE_URL's events route, with the basic-auth credentials when set. */
export function eventSinkUrl(config: Config): string {
  const url = new URL(`${config.baseUrl}${EVENTS_PATH}`);
  if (config.eventStreamsAuth) {
    url.username = config.eventStreamsAuth.user;
    url.password = config.eventStreamsAuth.password;
  }
  return url.href;
}

/** The sink URL as shown to the operator: the password is never printed. */
export const shownSinkUrl = (url: string | null) => (url ? url.replace(/:\/\/([^:@/]+):[^@/]+@/, '://$1:***@') : null);

const SINK_DESCRIPTION = 'wa-inbox';

/**
 * Creates (once) the Event Streams webhook sink pointing at us and its subscription to the
 * messaging event types; run again, it finds both and adds only missing types. With dryRun
 * nothing is written.
 */
export async function configureEventStreams(config: Config, twilio: TwilioGateway, o: { dryRun: boolean }): Promise<ConfigureChange[]> {
  const destination = eventSinkUrl(config);
  const changes: ConfigureChange[] = [];
  let sink = (await twilio.listEventSinks()).find((s) => s.sinkType === 'webhook' && s.destination === destination) ?? null;
  changes.push({ target: `Event Streams sink ${sink?.sid ?? ''}`.trim(), field: 'sink', before: shownSinkUrl(sink?.destination ?? null), after: shownSinkUrl(destination)!, changed: !sink });
  if (!sink) {
    if (o.dryRun) {
      changes.push({ target: 'Event Streams subscription', field: 'event types', before: null, after: MESSAGING_EVENT_TYPES.join(', '), changed: true });
      return changes;
    }
    sink = await twilio.createWebhookSink(SINK_DESCRIPTION, destination);
    changes[0]!.target = `Event Streams sink ${sink.sid}`;
  }
  const subscription = (await twilio.listEventSubscriptions(sink.sid))[0] ?? null;
  if (!subscription) {
    if (!o.dryRun) await twilio.createEventSubscription(sink.sid, SINK_DESCRIPTION, MESSAGING_EVENT_TYPES);
    changes.push({ target: 'Event Streams subscription', field: 'event types', before: null, after: MESSAGING_EVENT_TYPES.join(', '), changed: true });
    return changes;
  }
  const have = await twilio.listSubscribedEventTypes(subscription.sid);
  const missing = MESSAGING_EVENT_TYPES.filter((t) => !have.includes(t));
  if (!o.dryRun) for (const t of missing) await twilio.addSubscribedEventType(subscription.sid, t);
  changes.push({
    target: `Event Streams subscription ${subscription.sid}`, field: 'event types',
    before: have.join(', ') || null, after: [...new Set([...have, ...MESSAGING_EVENT_TYPES])].join(', '), changed: missing.length > 0,
  });
  return changes;
}

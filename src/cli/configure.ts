import type { Config } from '../config/env.ts';
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
  const from = config.twilio?.whatsappFrom;
  const senders = await twilio.listWhatsAppSenders().catch(() => []);
  for (const sender of senders.filter((s) => !from || s.senderId === from)) {
    const diff = sender.statusCallbackUrl !== want.statusCallback || sender.callbackUrl !== want.inbound;
    changes.push(
      { target: `WhatsApp sender ${sender.senderId} (${sender.sid})`, field: 'status callback', before: sender.statusCallbackUrl, after: want.statusCallback, changed: sender.statusCallbackUrl !== want.statusCallback },
      { target: `WhatsApp sender ${sender.senderId} (${sender.sid})`, field: 'inbound URL', before: sender.callbackUrl, after: want.inbound, changed: sender.callbackUrl !== want.inbound },
    );
    if (diff && !o.dryRun) await twilio.updateSender(sender.sid, { callbackUrl: want.inbound, statusCallbackUrl: want.statusCallback });
  }
  return changes;
}

import type { LocalMessage, LocalSender, LocalService, LocalTemplate } from './store.ts';

// Resources as Twilio's REST API writes them: snake_case JSON, RFC 2822 dates.

const rfc2822 = (d: Date | null) => (d ? d.toUTCString().replace('GMT', '+0000') : null);

export function messageResource(m: LocalMessage) {
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: rfc2822(m.dateSent),
    date_updated: rfc2822(m.dateUpdated),
    direction: m.direction,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: String(m.numMedia),
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: m.to,
    uri,
  };
}

export function contentResource(t: LocalTemplate, accountSid: string, withApprovals: boolean) {
  return {
    sid: t.sid,
    account_sid: accountSid,
    friendly_name: t.friendlyName,
    language: t.language,
    variables: t.variables,
    types: { 'twilio/text': { body: t.body } },
    date_created: new Date(0).toISOString(),
    date_updated: new Date(0).toISOString(),
    url: `https://content.twilio.com/v1/Content/${t.sid}`,
    links: { approval_fetch: `https://content.twilio.com/v1/Content/${t.sid}/ApprovalRequests` },
    ...(withApprovals
      ? { approval_requests: { whatsapp: { type: 'whatsapp', name: t.friendlyName, category: t.category, content_type: 'twilio/text', status: t.approval, rejection_reason: '', allow_category_change: true } } }
      : {}),
  };
}

export function serviceResource(s: LocalService, accountSid: string) {
  return {
    sid: s.sid,
    account_sid: accountSid,
    friendly_name: s.friendlyName,
    status_callback: s.statusCallback,
    inbound_request_url: s.inboundRequestUrl,
    inbound_method: 'POST',
    use_inbound_webhook_on_number: false,
    url: `https://messaging.twilio.com/v1/Services/${s.sid}`,
  };
}

export function senderResource(s: LocalSender) {
  return {
    sid: s.sid,
    status: 'ONLINE',
    sender_id: s.senderId,
    configuration: { waba_id: '1234567890' },
    webhook: {
      callback_url: s.callbackUrl, callback_method: 'POST', fallback_url: null, fallback_method: 'POST',
      status_callback_url: s.statusCallbackUrl, status_callback_method: 'POST',
    },
    profile: { name: 'Clínica', about: null },
    properties: { quality_rating: 'HIGH', messaging_limit: '1K' },
    url: `https://messaging.twilio.com/v2/Channels/Senders/${s.sid}`,
  };
}

export const twilioError = (status: number, code: number, message: string) => ({
  code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status,
});

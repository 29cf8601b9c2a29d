import type { LocalMedia, LocalMessage, LocalSender, LocalService, LocalTemplate } from './store.ts';

// Resources as Twilio's APIs write them: snake_case keys; the 2010 API dates in RFC 2822
// ("Thu, 30 Jul 2015 20:12:31 +0000"), the v1/v2 APIs in ISO 8601 without milliseconds.

export const rfc2822 = (d: Date | null) => (d ? d.toUTCString().replace('GMT', '+0000') : null);
const iso8601 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const CONTENT_ORIGIN = 'https://content.twilio.com';
export const MESSAGING_ORIGIN = 'https://messaging.twilio.com';

export const messagePath = (m: LocalMessage) => `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}`;

export function messageResource(m: LocalMessage) {
  const path = messagePath(m);
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
    // Twilio writes these two counters as strings.
    num_media: String(m.numMedia),
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${path}/Media.json`, feedback: `${path}/Feedback.json` },
    to: m.to,
    uri: `${path}.json`,
  };
}

export function mediaResource(m: LocalMessage, media: LocalMedia) {
  return {
    account_sid: m.accountSid,
    content_type: media.contentType,
    date_created: rfc2822(m.dateCreated),
    date_updated: rfc2822(m.dateUpdated),
    parent_sid: m.sid,
    sid: media.sid,
    uri: `${messagePath(m)}/Media/${media.sid}.json`,
  };
}

export function contentResource(t: LocalTemplate, accountSid: string) {
  const created = iso8601(t.dateCreated ?? new Date(0));
  return {
    account_sid: accountSid,
    date_created: created,
    date_updated: created,
    friendly_name: t.friendlyName,
    language: t.language,
    links: {
      approval_create: `${CONTENT_ORIGIN}/v1/Content/${t.sid}/ApprovalRequests/whatsapp`,
      approval_fetch: `${CONTENT_ORIGIN}/v1/Content/${t.sid}/ApprovalRequests`,
    },
    sid: t.sid,
    types: t.types ?? { 'twilio/text': { body: t.body } },
    url: `${CONTENT_ORIGIN}/v1/Content/${t.sid}`,
    variables: t.variables,
  };
}

/** A ContentAndApprovals item: the content plus WhatsApp's verdict on it. */
export function contentWithApprovalResource(t: LocalTemplate, accountSid: string) {
  const { links: _links, url: _url, ...content } = contentResource(t, accountSid);
  return {
    ...content,
    approval_requests: {
      whatsapp: {
        type: 'whatsapp',
        name: t.friendlyName,
        category: t.category,
        content_type: Object.keys(t.types ?? { 'twilio/text': null })[0],
        status: t.approval,
        rejection_reason: t.approval === 'rejected' ? 'The template was rejected by WhatsApp' : '',
        allow_category_change: true,
      },
    },
  };
}

export function serviceResource(s: LocalService, accountSid: string) {
  const url = `${MESSAGING_ORIGIN}/v1/Services/${s.sid}`;
  return {
    account_sid: accountSid,
    area_code_geomatch: true,
    date_created: iso8601(s.dateCreated),
    date_updated: iso8601(s.dateUpdated),
    fallback_method: 'POST',
    fallback_to_long_code: true,
    fallback_url: null,
    friendly_name: s.friendlyName,
    inbound_method: 'POST',
    inbound_request_url: s.inboundRequestUrl,
    links: { phone_numbers: `${url}/PhoneNumbers`, short_codes: `${url}/ShortCodes`, alpha_senders: `${url}/AlphaSenders`, channel_senders: `${url}/ChannelSenders` },
    mms_converter: true,
    scan_message_content: 'inherit',
    sid: s.sid,
    smart_encoding: true,
    status_callback: s.statusCallback,
    sticky_sender: true,
    synchronous_validation: true,
    url,
    us_app_to_person_registered: false,
    use_inbound_webhook_on_number: false,
    usecase: 'notifications',
    validity_period: 14400,
  };
}

/** A Messaging Service's ChannelSender (GET /v1/Services/{MG}/ChannelSenders): one of its WhatsApp senders. */
export function channelSenderResource(s: LocalSender, serviceSid: string, accountSid: string, created: Date) {
  return {
    account_sid: accountSid,
    messaging_service_sid: serviceSid,
    sid: s.sid,
    sender: s.senderId,
    sender_type: 'WhatsApp',
    country_code: 'US',
    date_created: iso8601(created),
    date_updated: iso8601(created),
    url: `${MESSAGING_ORIGIN}/v1/Services/${serviceSid}/ChannelSenders/${s.sid}`,
  };
}

export function senderResource(s: LocalSender) {
  return {
    sid: s.sid,
    status: 'ONLINE',
    sender_id: s.senderId,
    configuration: { waba_id: '123456789012345', verification_method: 'sms', verification_code: null, voice_application_sid: null },
    webhook: {
      callback_url: s.callbackUrl,
      callback_method: s.callbackMethod,
      fallback_url: s.fallbackUrl,
      fallback_method: 'POST',
      status_callback_url: s.statusCallbackUrl,
      status_callback_method: s.statusCallbackMethod,
    },
    profile: { name: 'Clínica de Salud Ocupacional', about: 'Exámenes ocupacionales', address: 'Bogotá, Colombia', emails: null, vertical: 'Medical and Health', logo_url: null, description: null, websites: null },
    properties: { quality_rating: 'HIGH', messaging_limit: '10K' },
    offline_reasons: null,
    url: `${MESSAGING_ORIGIN}/v2/Channels/Senders/${s.sid}`,
  };
}

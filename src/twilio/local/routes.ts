import type { LocalAccount } from './local-account.ts';
import { filterMessages, messageFilters } from './message-filters.ts';
import { metaPage, v2010Page } from './paging.ts';
import { channelSenderResource, CONTENT_ORIGIN, contentResource, contentWithApprovalResource, mediaResource, messageResource, MESSAGING_ORIGIN, senderResource, serviceResource } from './resources.ts';
import type { Route } from './router.ts';
import type { LocalStore } from './store.ts';
import { notFound } from './twilio-errors.ts';

// The REST subset wa-inbox uses, on the same paths as Twilio's hosts (api., content.,
// messaging.twilio.com all land here: the paths do not overlap).

const SID = (prefix: string) => `(${prefix}[0-9a-f]{32})`;

export function restRoutes(account: LocalAccount, store: LocalStore): Route[] {
  const accountPath = `/2010-04-01/Accounts/${account.accountSid}`;
  const messageFor = (sid: string, path: string) => {
    const m = store.messages.get(sid);
    if (!m) throw notFound(path);
    return m;
  };
  const exact = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

  return [
    // --- 2010 API: Messages ---
    {
      method: 'POST',
      pattern: exact(`${accountPath}/Messages.json`),
      handle: (r) => ({ status: 201, json: messageResource(account.send(r.form())) }),
    },
    {
      method: 'GET',
      pattern: exact(`${accountPath}/Messages.json`),
      handle: (r) => ({ json: v2010Page('messages', filterMessages(store.order, r.query), r.query, r.path, messageFilters(r.query), messageResource) }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${accountPath}/Messages/${SID('(?:SM|MM)')}\\.json$`),
      handle: (r) => ({ json: messageResource(messageFor(r.params[0]!, r.path)) }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${accountPath}/Messages/${SID('(?:SM|MM)')}/Media\\.json$`),
      handle: (r) => {
        const m = messageFor(r.params[0]!, r.path);
        return { json: v2010Page('media_list', m.media, r.query, r.path, new URLSearchParams(), (x) => mediaResource(m, x)) };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${accountPath}/Messages/${SID('(?:SM|MM)')}/Media/${SID('ME')}\\.json$`),
      handle: (r) => {
        const m = messageFor(r.params[0]!, r.path);
        const media = m.media.find((x) => x.sid === r.params[1]);
        if (!media) throw notFound(r.path);
        return { json: mediaResource(m, media) };
      },
    },
    {
      // Without an extension a Media URL answers the file itself (Twilio redirects to its CDN).
      method: 'GET',
      pattern: new RegExp(`^${accountPath}/Messages/${SID('(?:SM|MM)')}/Media/${SID('ME')}$`),
      handle: (r) => {
        const media = messageFor(r.params[0]!, r.path).media.find((x) => x.sid === r.params[1]);
        if (!media) throw notFound(r.path);
        return { bytes: media.bytes, contentType: media.contentType };
      },
    },

    // --- Content API (content.twilio.com) ---
    {
      method: 'GET',
      pattern: /^\/v1\/Content$/,
      handle: (r) => ({ json: metaPage('contents', [...store.templates.values()], r.query, `${CONTENT_ORIGIN}/v1/Content`, new URLSearchParams(), (t) => contentResource(t, account.accountSid)) }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/ContentAndApprovals$/,
      handle: (r) => ({ json: metaPage('contents', [...store.templates.values()], r.query, `${CONTENT_ORIGIN}/v1/ContentAndApprovals`, new URLSearchParams(), (t) => contentWithApprovalResource(t, account.accountSid)) }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/Content/${SID('HX')}$`),
      handle: (r) => {
        const t = store.templates.get(r.params[0]!);
        if (!t) throw notFound(r.path);
        return { json: contentResource(t, account.accountSid) };
      },
    },

    // --- Messaging Services (messaging.twilio.com/v1) ---
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/Services/${SID('MG')}$`),
      handle: (r) => {
        const s = store.services.get(r.params[0]!);
        if (!s) throw notFound(r.path);
        return { json: serviceResource(s, account.accountSid) };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/v1/Services/${SID('MG')}$`),
      handle: (r) => {
        const s = store.services.get(r.params[0]!);
        if (!s) throw notFound(r.path);
        const form = r.form();
        // An empty value clears a URL, as in the console.
        if (form.has('StatusCallback')) s.statusCallback = form.get('StatusCallback') || null;
        if (form.has('InboundRequestUrl')) s.inboundRequestUrl = form.get('InboundRequestUrl') || null;
        if (form.get('FriendlyName')) s.friendlyName = form.get('FriendlyName')!;
        s.dateUpdated = new Date();
        return { json: serviceResource(s, account.accountSid) };
      },
    },

    {
      // The service's WhatsApp senders (every sender of this account is in its one service).
      method: 'GET',
      pattern: new RegExp(`^/v1/Services/${SID('MG')}/ChannelSenders$`),
      handle: (r) => {
        const service = store.services.get(r.params[0]!);
        if (!service) throw notFound(r.path);
        const senders = [...store.senders.values()];
        return {
          json: metaPage('senders', senders, r.query, `${MESSAGING_ORIGIN}/v1/Services/${service.sid}/ChannelSenders`, new URLSearchParams(),
            (x) => channelSenderResource(x, service.sid, account.accountSid, service.dateCreated)),
        };
      },
    },

    // --- WhatsApp senders (messaging.twilio.com/v2) ---
    {
      method: 'GET',
      pattern: /^\/v2\/Channels\/Senders$/,
      handle: (r) => {
        const channel = r.query.get('Channel')?.toLowerCase();
        const senders = [...store.senders.values()].filter((s) => !channel || s.senderId.startsWith(`${channel}:`));
        const filters = new URLSearchParams(channel ? { Channel: channel } : {});
        return { json: metaPage('senders', senders, r.query, `${MESSAGING_ORIGIN}/v2/Channels/Senders`, filters, senderResource) };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v2/Channels/Senders/${SID('XE')}$`),
      handle: (r) => {
        const s = store.senders.get(r.params[0]!);
        if (!s) throw notFound(r.path);
        return { json: senderResource(s) };
      },
    },
    {
      // JSON body, snake_case keys: twilio-node sends the object it is given as it is.
      method: 'POST',
      pattern: new RegExp(`^/v2/Channels/Senders/${SID('XE')}$`),
      handle: (r) => {
        const s = store.senders.get(r.params[0]!);
        if (!s) throw notFound(r.path);
        const webhook = (r.json().webhook ?? {}) as Record<string, unknown>;
        const text = (key: string) => (typeof webhook[key] === 'string' && webhook[key] ? (webhook[key] as string) : null);
        if ('callback_url' in webhook) s.callbackUrl = text('callback_url');
        if ('callback_method' in webhook) s.callbackMethod = text('callback_method') ?? 'POST';
        if ('fallback_url' in webhook) s.fallbackUrl = text('fallback_url');
        if ('status_callback_url' in webhook) s.statusCallbackUrl = text('status_callback_url');
        if ('status_callback_method' in webhook) s.statusCallbackMethod = text('status_callback_method') ?? 'POST';
        return { json: senderResource(s) };
      },
    },
  ];
}

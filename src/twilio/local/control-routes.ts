import type { FaultInjector } from './faults.ts';
import type { LifecycleOptions } from './lifecycle.ts';
import type { ExternalSendInput, InboundInput, LocalAccount } from './local-account.ts';
import { messageResource } from './resources.ts';
import type { Route } from './router.ts';
import type { LocalStore } from './store.ts';

// /_local/...: drives the local Twilio from outside the process (the standalone CLI, scripts,
// a browser demo). Not part of Twilio's API; same basic auth as the REST routes.

export function controlRoutes(account: LocalAccount, store: LocalStore, faults: FaultInjector): Route[] {
  return [
    { method: 'POST', pattern: /^\/_local\/inbound$/, handle: async (r) => ({ json: await account.receive(r.json() as unknown as InboundInput) }) },
    { method: 'POST', pattern: /^\/_local\/external-send$/, handle: (r) => ({ status: 201, json: messageResource(account.externalSend(r.json() as unknown as ExternalSendInput)) }) },
    {
      method: 'PUT',
      pattern: /^\/_local\/webhooks$/,
      handle: (r) => {
        account.setWebhooks(r.json() as { statusCallbackUrl?: string; inboundUrl?: string });
        return { json: { statusCallbackUrl: account.service.statusCallback, inboundUrl: account.inboundUrl(account.whatsappFrom) } };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/_local\/lifecycle$/,
      handle: (r) => {
        account.setLifecycle(r.json() as LifecycleOptions);
        return { json: { ok: true } };
      },
    },
    {
      // An empty body, {} or null clears the fault.
      method: 'PUT',
      pattern: /^\/_local\/fault$/,
      handle: (r) => {
        const body = r.json();
        faults.set(Object.keys(body).length ? body : null);
        return { json: { ok: true } };
      },
    },
    { method: 'GET', pattern: /^\/_local\/messages$/, handle: () => ({ json: { messages: store.order.map(messageResource) } }) },
  ];
}

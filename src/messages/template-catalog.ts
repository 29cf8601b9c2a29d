import type { TwilioGateway, TwilioTemplate } from '../twilio/gateway.ts';

// Templates change rarely (each needs Meta's approval); a short cache keeps the picker and every
// template send from listing the Content API again.
const TTL_MS = 60_000;

export interface TemplateCatalog {
  list(): Promise<TwilioTemplate[]>;
  find(sid: string): Promise<TwilioTemplate | null>;
}

export function createTemplateCatalog(twilio: TwilioGateway): TemplateCatalog {
  let cached: { at: number; items: TwilioTemplate[] } | null = null;
  const list = async () => {
    if (!cached || Date.now() - cached.at > TTL_MS) cached = { at: Date.now(), items: await twilio.listTemplates() };
    return cached.items;
  };
  return {
    list,
    async find(sid) {
      return (await list()).find((t) => t.sid === sid) ?? null;
    },
  };
}

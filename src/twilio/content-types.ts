import { TEMPLATE_KINDS, type TemplateActionDto, type TemplateDto, type TemplateKind } from '../contract/api.ts';

/** What a Content API template holds, as the picker shows it: everything but its identity and approval. */
export type TemplateContent = Pick<TemplateDto, 'kind' | 'body' | 'title' | 'subtitle' | 'media' | 'actions'>;

const ACTION_TYPES = new Set<TemplateActionDto['type']>(['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'VOICE_CALL']);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Reads a Content resource's `types` (e.g. `{ "twilio/card": { title, media, actions } }`, one key
 * per channel the template serves). The richest type WhatsApp takes wins; a template with none of
 * them falls back to the text of whatever type carries a body, shown as plain text.
 */
export function readTemplateContent(types: Record<string, unknown>): TemplateContent {
  const kind = [...TEMPLATE_KINDS].reverse().find((k) => k in types) as TemplateKind | undefined;
  const fallback = Object.values(types).find((t) => typeof (t as { body?: unknown } | null)?.body === 'string') as { body: string } | undefined;
  const type = (kind ? types[kind] : fallback ?? {}) as Record<string, unknown>;
  const media = Array.isArray(type.media) ? type.media.filter((m): m is string => typeof m === 'string') : [];
  const actions = Array.isArray(type.actions)
    ? type.actions.flatMap((a: Record<string, unknown>): TemplateActionDto[] => {
      // Quick replies carry no type of their own inside twilio/quick-reply.
      const t = (kind === 'twilio/quick-reply' ? 'QUICK_REPLY' : a?.type) as TemplateActionDto['type'];
      const title = text(a?.title);
      return ACTION_TYPES.has(t) && title !== null ? [{ type: t, title, url: text(a.url), phone: text(a.phone) }] : [];
    })
    : [];
  return {
    kind: kind ?? 'twilio/text',
    body: text(type.body) ?? '',
    title: kind === 'twilio/card' ? text(type.title) : null,
    subtitle: kind === 'twilio/card' ? text(type.subtitle) : null,
    media: kind === 'twilio/media' || kind === 'twilio/card' ? media : [],
    actions: kind === 'twilio/quick-reply' || kind === 'twilio/call-to-action' || kind === 'twilio/card' ? actions : [],
  };
}

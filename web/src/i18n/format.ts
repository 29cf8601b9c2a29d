import { ApiRequestError } from '../api/client.ts';
import type { Translate } from './I18nProvider.tsx';
import { describeTwilioError } from '../../../src/contract/twilio-error-texts.ts';
import type { Lang, MessageKey } from './strings.ts';
import type { MediaDto, MessageDto } from '../api/contract.ts';

export { describeTwilioError };

// ITU country codes of one and two digits; every other code has three.
const TWO_DIGIT_CODES = new Set([
  20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58,
  60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
]);

/** A file's size for people: `850 KB`, `4,2 MB` (the decimal comma in Spanish). */
export function formatBytes(bytes: number, lang: Lang): string {
  const locale = lang === 'es' ? 'es-CO' : 'en-US';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toLocaleString(locale, { maximumFractionDigits: 1 })} MB`;
}

/** `+573153369631` → `+57 315 336 9631`; anything that is not E.164 comes back as it was. */
export function formatPhone(e164: string): string {
  const m = /^\+(\d{7,15})$/.exec(e164);
  if (!m) return e164;
  const digits = m[1]!;
  const ccLength = digits[0] === '1' || digits[0] === '7' ? 1 : TWO_DIGIT_CODES.has(Number(digits.slice(0, 2))) ? 2 : 3;
  const cc = digits.slice(0, ccLength);
  const national = digits.slice(ccLength);
  const groups: string[] = [];
  if (national.length === 10) groups.push(national.slice(0, 3), national.slice(3, 6), national.slice(6));
  else for (let i = 0; i < national.length; i += 3) groups.push(national.slice(i, i + 3));
  // No lone digit at the end: "123 4567" reads better than "123 456 7".
  if (groups.length > 1 && groups[groups.length - 1]!.length === 1) groups[groups.length - 2] += groups.pop()!;
  return `+${cc} ${groups.join(' ')}`;
}

export function contactLabel(contact: { name: string | null; phone: string }): string {
  return contact.name?.trim() || formatPhone(contact.phone);
}

/** Local calendar day, `2025-03-07`: the key of a day separator. */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function daysBetween(a: Date, b: Date): number {
  const start = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return Math.round((start(b) - start(a)) / 86_400_000);
}

/** "Hoy", "Ayer", or the full date: the chat's day separators. */
export function dayLabel(d: Date, now: Date, t: Translate, locale: string): string {
  const days = daysBetween(d, now);
  if (days === 0) return t('day.today');
  if (days === 1) return t('day.yesterday');
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long', day: 'numeric', month: 'long', ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  }).format(d);
}

export function formatClock(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** The list's time column: the hour today, "Ayer", the weekday within a week, else the date. */
export function formatListTime(iso: string, now: Date, t: Translate, locale: string): string {
  const d = new Date(iso);
  const days = daysBetween(d, now);
  if (days <= 0) return formatClock(iso, locale);
  if (days === 1) return t('day.yesterday');
  if (days < 7) return new Intl.DateTimeFormat(locale, { weekday: 'long' }).format(d);
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric' }).format(d);
}

/** Date and time, short enough for a table cell: "28 nov 2026, 10:05 a. m.". */
export function formatDateTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatFullDate(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(iso));
}

/** Time left in the 24-hour window: "23 h 5 min", "42 min", "30 s". */
export function formatDuration(ms: number, t: Translate): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('duration.s', { s });
  const totalMinutes = Math.floor(s / 60);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return h > 0 ? t('duration.hm', { h, m }) : t('duration.m', { m });
}

/** An API failure in the user's language. */
export function describeApiError(err: unknown, lang: Lang, t: Translate): string {
  if (err instanceof ApiRequestError) {
    if (err.code === 'network') return t('error.network');
    if (err.twilioCode) return describeTwilioError(err.twilioCode, lang === 'es' ? err.messageEs : err.message, lang)!;
    const text = lang === 'es' ? err.messageEs : err.message;
    if (text && !/^HTTP \d+$/.test(text)) return text;
    return t('error.server', { status: err.status });
  }
  return t('error.generic', { reason: err instanceof Error ? err.message : String(err) });
}

/**
 * What to show for a message that has no text, media or location. An outside template sent
 * through a Messaging Service comes back from Twilio without its text; the bubble and the list's
 * preview say so in the same words.
 */
/** A message without text that carries media is previewed by the kind of its first item, as WhatsApp does. */
function mediaPreview(item: Pick<MediaDto, 'contentType' | 'filename'>, t: Translate): string {
  const type = item.contentType ?? '';
  if (type.startsWith('image/')) return `📷 ${t('preview.image')}`;
  if (type.startsWith('video/')) return `🎥 ${t('preview.video')}`;
  if (type.startsWith('audio/')) return `🎤 ${t('preview.audio')}`;
  if (type === 'application/pdf' || type === 'text/plain' || /^application\/(msword|vnd\.ms-|vnd\.openxmlformats-officedocument\.)/.test(type)) return `📄 ${item.filename ?? t('preview.document')}`;
  // A file sent from the panel has its name.
  return `📎 ${item.filename ?? t('preview.file')}`;
}

/** What a message says in one line (the list's preview, a notification's text): its text, or its media in words. */
export function previewText(message: MessageDto, t: Translate): string {
  if (message.body) return message.body;
  if (message.bodyPending) return t('msg.bodyPending');
  if (message.media.length > 0) return mediaPreview(message.media[0]!, t);
  if (message.location) return `📍 ${t('preview.location')}`;
  return t(missingTextKey(message));
}

export function missingTextKey(m: Pick<MessageDto, 'direction' | 'source'>): MessageKey {
  return m.direction === 'outbound' && m.source === 'external' ? 'msg.templateNoText' : 'msg.noText';
}

import { badRequest } from './twilio-errors.ts';
import type { LocalMessage } from './store.ts';

// The Messages list filters: To, From, DateSent, DateSent> and DateSent<. twilio-node sends
// `dateSentAfter` as the key "DateSent>" (qs encodes it as DateSent%3E) with a whole-second
// ISO timestamp ("2024-05-01T10:00:00Z").

export const MESSAGE_FILTER_KEYS = ['To', 'From', 'DateSent', 'DateSent>', 'DateSent<'] as const;

const DAY_MS = 86_400_000;
const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Twilio documents day precision ("DateSent>=2024-05-01" means from the start of that UTC day,
 * "DateSent<=" to its end, both inclusive). A full timestamp is accepted too and honoured to the
 * millisecond here; callers must still dedupe by SID, as they must against Twilio.
 */
function bound(key: string, value: string | null, edge: 'start' | 'end'): number | null {
  if (!value) return null;
  const dayOnly = DAY_ONLY.test(value);
  const t = new Date(dayOnly ? `${value}T00:00:00Z` : value).getTime();
  if (Number.isNaN(t)) throw badRequest(20001, `Invalid ${key}: ${value}`);
  return dayOnly && edge === 'end' ? t + DAY_MS - 1 : t;
}

/** Newest first, like Twilio. Messages not sent yet are placed by their creation time. */
export function filterMessages(all: readonly LocalMessage[], q: URLSearchParams): LocalMessage[] {
  const to = q.get('To');
  const from = q.get('From');
  const after = bound('DateSent>', q.get('DateSent>'), 'start');
  const before = bound('DateSent<', q.get('DateSent<'), 'end');
  const onStart = bound('DateSent', q.get('DateSent'), 'start');
  const onEnd = bound('DateSent', q.get('DateSent'), 'end');
  const matches: LocalMessage[] = [];
  // Creation order rather than date_sent: it never changes under a client that is paging.
  for (let i = all.length - 1; i >= 0; i--) {
    const m = all[i]!;
    const t = (m.dateSent ?? m.dateCreated).getTime();
    if (to && m.to !== to) continue;
    if (from && m.from !== from) continue;
    if (after !== null && t < after) continue;
    if (before !== null && t > before) continue;
    if (onStart !== null && onEnd !== null && (t < onStart || t > onEnd)) continue;
    matches.push(m);
  }
  return matches;
}

/** The filters as the client sent them, carried into next/previous page URIs. */
export function messageFilters(q: URLSearchParams): URLSearchParams {
  const kept = new URLSearchParams();
  for (const key of MESSAGE_FILTER_KEYS) {
    const value = q.get(key);
    if (value) kept.set(key, value);
  }
  return kept;
}

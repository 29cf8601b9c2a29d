import { DatabaseUnavailableError } from '../db/database.ts';
import { TwilioRequestError } from '../twilio/gateway.ts';
import type { Messages } from './messages.ts';

// What a failed connection means and what to do about it, from the error's code rather than its
// wording: doctor's database and Twilio lines.

export interface Explained {
  detail: string;
  fix: string;
}

/** The code of a pg or socket error; a connection tried on several addresses fails with an AggregateError. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: { code?: unknown }[] };
  if (typeof e?.code === 'string') return e.code;
  const inner = e?.errors?.find((x) => typeof x?.code === 'string')?.code;
  return typeof inner === 'string' ? inner : undefined;
}

function messageOf(err: unknown): string {
  const e = err as { message?: string; errors?: { message?: string }[] };
  return e?.message || e?.errors?.map((x) => x.message).join('; ') || String(err);
}

/** Why PostgreSQL at `url` could not be used; the URL's password is never shown. */
export function explainPostgresError(err: unknown, url: string, m: Messages['doctor']): Explained {
  const cause = err instanceof DatabaseUnavailableError ? err.cause : err;
  const u = new URL(url);
  const at = `${u.hostname}:${u.port || 5432}`;
  const user = decodeURIComponent(u.username) || '(default)';
  const name = decodeURIComponent(u.pathname.slice(1)) || user;
  const code = codeOf(cause);
  switch (code) {
    case 'ECONNREFUSED':
      return { detail: m.dbRefused(at), fix: m.dbRefusedFix };
    case '28P01':
      return { detail: m.dbPassword(user), fix: m.dbPasswordFix };
    case '28000':
      return { detail: m.dbNotAllowed(user), fix: m.dbNotAllowedFix };
    case '3D000':
      return { detail: m.dbMissing(name, at), fix: m.dbMissingFix(name) };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { detail: m.dbHostUnknown(u.hostname, code), fix: m.dbHostUnknownFix };
    case 'ETIMEDOUT':
      return { detail: m.dbTimeout(at), fix: m.dbTimeoutFix };
  }
  if (/timeout/i.test(messageOf(cause))) return { detail: m.dbTimeout(at), fix: m.dbTimeoutFix };
  return { detail: m.dbUnknown(code ? `${messageOf(cause)} (${code})` : messageOf(cause)), fix: m.dbUnknownFix };
}

export type TwilioFailure = 'network' | 'credentials' | 'other';

/**
 * A request that never got an HTTP answer (DNS, refused, timed out: the gateway's errors without
 * a status) is the network's fault; only a 401 or Twilio's 20003 means wrong credentials.
 */
export function twilioFailure(err: unknown): TwilioFailure {
  if (!(err instanceof TwilioRequestError)) return 'other';
  if (err.status === null) return 'network';
  return err.status === 401 || err.code === 20003 ? 'credentials' : 'other';
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header the panel sends its CSRF token in, on every POST, PUT, PATCH and DELETE. */
export const CSRF_HEADER = 'x-csrf-token';

// Derived, not stored: an HMAC of the session token under the cookie secret. Every instance that
// shares the database shares that secret (SESSION_SECRET, or the one kept in the database), so any
// instance checks any session's token, a restart changes nothing, and the token dies with its
// session without a column to keep in step. Another site cannot compute it: it can read neither
// the httpOnly cookie nor the secret. The "csrf:" prefix keeps it from equalling the cookie's own
// signature, an HMAC of the bare token under the same secret.
export function csrfTokenFor(secret: string, sessionToken: string): string {
  return createHmac('sha256', secret).update('csrf:' + sessionToken).digest('base64url');
}

/** Whether `presented` (the header's value) is the CSRF token of this session, compared in constant time. */
export function csrfTokenMatches(secret: string, sessionToken: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(secret, sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

import { timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';

/**
 * Checks X-Twilio-Signature. `publicUrl` must be the URL Twilio called (BASE_URL + path + query as
 * received), never one rebuilt from the socket: behind a proxy http/https or the host differ and
 * every real callback would be refused.
 */
export function verifyTwilioSignature(authToken: string, signature: string | undefined, publicUrl: string, params: Record<string, string>): boolean {
  if (!signature) return false;
  // The URL exactly as configured is what Twilio signs: one HMAC. validateRequest tries the URL
  // without its port first, so with a port in BASE_URL every callback cost two.
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, publicUrl, params));
  const given = Buffer.from(signature);
  if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  // Otherwise the library's own variants (with or without the port, the escaped URL).
  return twilio.validateRequest(authToken, signature, publicUrl, params);
}

/**
 * Checks X-Twilio-Signature on a JSON-bodied request (Event Streams' webhook sink): Twilio puts the
 * SHA-256 of the raw body in the URL as `bodySHA256` and signs that URL alone (no parameters), so
 * the signature covers the body through its hash. Both the signature and the hash must match; a
 * URL without `bodySHA256` is refused (its body would be unsigned).
 */
export function verifyTwilioBodySignature(authToken: string, signature: string | undefined, publicUrl: string, rawBody: string): boolean {
  if (!signature || !new URL(publicUrl).searchParams.get('bodySHA256')) return false;
  return twilio.validateRequestWithBody(authToken, signature, publicUrl, rawBody);
}

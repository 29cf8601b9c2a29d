import twilio from 'twilio';

/**
 * Checks X-Twilio-Signature. `publicUrl` must be the URL Twilio called (BASE_URL + path + query as
 * received), never one rebuilt from the socket: behind a proxy http/https or the host differ and
 * every real callback would be refused.
 */
export function verifyTwilioSignature(authToken: string, signature: string | undefined, publicUrl: string, params: Record<string, string>): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, publicUrl, params);
}

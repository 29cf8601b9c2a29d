// What a media item of a customer's message may carry. Its URL and type come from the inbound
// webhook's MediaUrlN / MediaContentTypeN; Twilio writes them, but the media route later sends the
// URL out as a Location header and the type as a Content-Type, so both are checked on arrival (and
// again before use, for rows stored before these checks).

export interface StoredMediaItem {
  /** null: the webhook carried no usable URL; the item is shown as unavailable. */
  url: string | null;
  contentType: string | null;
}

// Twilio's media URLs are plain ASCII: control characters (CR/LF would split a header), spaces and
// anything beyond ASCII mean the URL did not come from Twilio as it is.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
// Written as an absolute URL with its authority: the URL parser would also read "https:///x" or
// "https:host" as https://x/ and https://host/, which no one wrote.
const ABSOLUTE_WITH_HOST = /^https?:\/\/[^/\\]/i;
const MAX_URL_LENGTH = 2048;

/**
 * The URL to keep for a media item, or null when it is unusable: only an absolute https URL, or
 * one on Twilio's own API origin (a local Twilio answers over http), without credentials;
 * serialised back by URL so what goes out is exactly what was parsed.
 */
export function keptMediaUrl(raw: unknown, isTwilioUrl: (url: string) => boolean): string | null {
  if (typeof raw !== 'string' || raw.length > MAX_URL_LENGTH || !PRINTABLE_ASCII.test(raw) || !ABSOLUTE_WITH_HOST.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.username || u.password || !u.hostname) return null;
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isTwilioUrl(u.href))) return null;
  return PRINTABLE_ASCII.test(u.href) ? u.href : null;
}

// RFC 9110's token characters, for the type and the subtype.
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/;

/** A declared content type reduced to its lower-case `type/subtype` (parameters dropped), or null. */
export function mediaTypeOf(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const essence = raw.split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(essence) ? essence : null;
}

/** The items as they are stored: URLs kept or marked unavailable, types reduced to their essence. */
export function storedMediaItems(items: readonly { url: string | null; contentType: string | null }[], isTwilioUrl: (url: string) => boolean): StoredMediaItem[] {
  return items.map((m) => ({ url: keptMediaUrl(m.url, isTwilioUrl), contentType: mediaTypeOf(m.contentType) }));
}

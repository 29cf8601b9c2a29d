// What Twilio does with each MediaUrl of a message it accepted: it downloads the file itself, keeps
// it as one of the message's media items (served from then on behind the account's credentials),
// and fails the message when it cannot.

/** WhatsApp's largest media item (images are held to 5 MB by WhatsApp itself, not checked here). */
const MAX_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** Twilio's code for a message whose media could not be downloaded. */
export const MEDIA_DOWNLOAD_FAILED = 63019;

/** The file at `url` with the type its server declared, or null when it cannot be had. */
export async function downloadMedia(url: string): Promise<{ bytes: Buffer; contentType: string | null } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
    if (!res.ok) return null;
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_BYTES) return null;
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length === 0 || bytes.length > MAX_BYTES) return null;
    const contentType = res.headers.get('content-type')?.split(';')[0]!.trim().toLowerCase() || null;
    return { bytes, contentType };
  } catch {
    return null;
  }
}

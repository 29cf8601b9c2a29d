// What Twilio does with each MediaUrl of a message it accepted: it downloads the file itself (no
// credentials), keeps it as one of the message's media items (served from then on behind the
// account's credentials), and fails the message when it cannot.

/** WhatsApp's largest media item (images are held to 5 MB by WhatsApp itself, not checked here). */
const MAX_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** Twilio's codes: the link answered but gave no usable file (63019), or could not be reached (11200). */
export const MEDIA_DOWNLOAD_FAILED = 63019;
export const HTTP_RETRIEVAL_FAILURE = 11200;

/** The file at `url` with the type its server declared, or the error code Twilio fails the message with. */
export async function downloadMedia(url: string): Promise<{ bytes: Buffer; contentType: string | null } | { errorCode: number }> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  } catch {
    return { errorCode: HTTP_RETRIEVAL_FAILURE };
  }
  try {
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (!res.ok || declared > MAX_BYTES) {
      await res.body?.cancel().catch(() => {});
      return { errorCode: MEDIA_DOWNLOAD_FAILED };
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length === 0 || bytes.length > MAX_BYTES) return { errorCode: MEDIA_DOWNLOAD_FAILED };
    const contentType = res.headers.get('content-type')?.split(';')[0]!.trim().toLowerCase() || null;
    return { bytes, contentType };
  } catch {
    return { errorCode: HTTP_RETRIEVAL_FAILURE };
  }
}

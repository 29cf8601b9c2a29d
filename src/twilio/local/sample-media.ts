// The bytes the local Twilio serves for media: a file a customer "sent" (a small valid file of the
// right kind stands in), or one we sent by URL, downloaded as Twilio downloads it.

// A 1×1 PNG.
const PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
// The smallest PDF readers open.
const EMPTY_PDF = Buffer.from('%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

export function sampleBytes(contentType: string): Buffer {
  if (contentType.startsWith('image/')) return PIXEL_PNG;
  if (contentType === 'application/pdf') return EMPTY_PDF;
  return Buffer.from(`local twilio sample (${contentType})\n`);
}

/** A `data:` URL carries its own bytes (tests that need exact content use one). */
export function bytesFromUrl(url: string | undefined, contentType: string): Buffer {
  const data = url?.match(/^data:[^,]*?(;base64)?,(.*)$/s);
  if (!data) return sampleBytes(contentType);
  return data[1] ? Buffer.from(data[2]!, 'base64') : Buffer.from(decodeURIComponent(data[2]!));
}

const BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  pdf: 'application/pdf', mp4: 'video/mp4', ogg: 'audio/ogg', mp3: 'audio/mpeg', amr: 'audio/amr',
};

/** The type of a MediaUrl judged by its extension, until its file is downloaded. */
export function contentTypeOfUrl(url: string): string {
  const ext = new URL(url).pathname.split('.').pop()?.toLowerCase() ?? '';
  return BY_EXTENSION[ext] ?? 'application/octet-stream';
}

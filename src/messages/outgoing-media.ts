import { fileTypeFromBuffer } from 'file-type';
import { MEDIA_UPLOAD } from '../contract/api.ts';
import { DomainError } from './errors.ts';

// What the panel may send to WhatsApp, judged by the file's bytes (never its name), within
// WhatsApp's limits: 16 MB, 5 MB for images.
export const MAX_FILE_BYTES = MEDIA_UPLOAD.maxBytes;
export const MAX_IMAGE_BYTES = MEDIA_UPLOAD.maxImageBytes;
// file-type reads at most this many bytes to recognise a format.
const HEAD_BYTES = 4100;

const IMAGES = new Set(['image/jpeg', 'image/png']);
const DOCUMENTS = new Set([
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
]);
// Legacy Office files are all one container format (CFB); which one it is comes from the client,
// and only these three are taken (an installer is CFB too).
const LEGACY_OFFICE = new Set(['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']);
// file-type's names for what WhatsApp calls these.
const AUDIO_VIDEO: Record<string, string> = {
  'audio/aac': 'audio/aac', 'audio/amr': 'audio/amr', 'audio/mpeg': 'audio/mpeg', 'audio/mp4': 'audio/mp4', 'audio/x-m4a': 'audio/mp4',
  'audio/ogg': 'audio/ogg', 'audio/ogg; codecs=opus': 'audio/ogg',
  'video/mp4': 'video/mp4', 'video/3gpp': 'video/3gpp',
};

export class MediaTooLargeError extends DomainError {
  constructor(image: boolean) {
    super(
      'media_too_large',
      image ? 'WhatsApp takes images of up to 5 MB' : 'WhatsApp takes files of up to 16 MB',
      image ? 'WhatsApp acepta imágenes de hasta 5 MB' : 'WhatsApp acepta archivos de hasta 16 MB',
    );
  }
}

export class UnsupportedMediaError extends DomainError {
  constructor(en: string, es: string) {
    super('unsupported_media', en, es);
  }
}

const unsupported = () => new UnsupportedMediaError(
  'This kind of file cannot be sent through WhatsApp: send a PDF, Word, Excel, PowerPoint or text document, a JPG or PNG image, audio or video',
  'Este tipo de archivo no se puede enviar por WhatsApp: envíe un documento PDF, Word, Excel, PowerPoint o de texto, una imagen JPG o PNG, un audio o un video',
);

export interface UploadedFile {
  bytes: Buffer;
  /** Read from the bytes. */
  contentType: string;
  filename: string | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function isPlainText(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.includes(0)) return false;
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The type WhatsApp will be told, read from the bytes; refused (400) when it is not one WhatsApp takes. */
export async function mediaTypeFromBytes(bytes: Buffer, claimedType: string | null): Promise<string> {
  const claimed = (claimedType ?? '').split(';')[0]!.trim().toLowerCase();
  const found = await fileTypeFromBuffer(bytes);
  if (!found) {
    // Plain text has no magic number: taken only when the client said so and the bytes agree.
    if (claimed === 'text/plain' && isPlainText(bytes)) return 'text/plain';
    throw unsupported();
  }
  if (found.mime === 'image/webp') {
    throw new UnsupportedMediaError('WhatsApp does not take WebP images; send it as JPG or PNG', 'WhatsApp no acepta imágenes WebP; envíela como JPG o PNG');
  }
  if (IMAGES.has(found.mime) || DOCUMENTS.has(found.mime)) return found.mime;
  if (found.ext === 'cfb' && LEGACY_OFFICE.has(claimed)) return claimed;
  // file-type calls every ISO MP4 without an M4A brand video, a browser's voice note (Safari records
  // AAC in MP4) included: the container cannot tell, so the client's word that it is audio is taken.
  if (found.mime === 'video/mp4' && claimed === 'audio/mp4') return 'audio/mp4';
  const media = AUDIO_VIDEO[found.mime];
  if (media) return media;
  throw unsupported();
}

/**
 * Reads an upload up to WhatsApp's limit for its kind and no further: once the first bytes show an
 * image the limit is 5 MB, otherwise 16 MB; one byte over stops the read (413), so no body larger
 * than the limit is ever held.
 */
export async function readUpload(chunks: AsyncIterable<Buffer>, claimedType: string | null, filename: string | null): Promise<UploadedFile> {
  const parts: Buffer[] = [];
  let total = 0;
  let limit = MAX_FILE_BYTES;
  let headChecked = false;
  for await (const chunk of chunks) {
    parts.push(chunk);
    total += chunk.length;
    if (!headChecked && total >= HEAD_BYTES) {
      headChecked = true;
      const head = await fileTypeFromBuffer(Buffer.concat(parts, total).subarray(0, HEAD_BYTES));
      if (head?.mime.startsWith('image/')) limit = MAX_IMAGE_BYTES;
    }
    if (total > limit) throw new MediaTooLargeError(limit === MAX_IMAGE_BYTES);
  }
  const bytes = Buffer.concat(parts, total);
  const contentType = await mediaTypeFromBytes(bytes, claimedType);
  if (IMAGES.has(contentType) && total > MAX_IMAGE_BYTES) throw new MediaTooLargeError(true);
  return { bytes, contentType, filename: cleanFilename(filename) };
}

/** A file's name as shown and downloaded: no path, no control characters, at most 200 characters. */
export function cleanFilename(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean || null;
}

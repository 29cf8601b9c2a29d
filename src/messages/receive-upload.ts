import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import { MEDIA_CHUNK_BYTES, outgoingMediaRepository } from '../db/outgoing-media-repository.ts';
import { cleanFilename, MAX_FILE_BYTES, MediaTooLargeError, mediaTypeFromHead, notPlainText, PlainTextCheck, sizeLimitOf } from './outgoing-media.ts';

/** An upload kept in chunks, complete and checked, waiting to be sent (`outgoingMediaRepository.attach`). */
export interface UploadedFile {
  mediaId: string;
  /** Read from the bytes. */
  contentType: string;
  filename: string | null;
  size: number;
  sha256: string;
}

/**
 * Keeps an upload as it arrives, one chunk at a time, so at most a chunk of it is ever held. The
 * first chunk (or the whole file, when smaller) decides the type and so the limit: 5 MB for an
 * image, 16 MB otherwise; one byte over stops the read (413). Anything refused or cut off leaves
 * nothing stored: what was written is discarded before the error goes on.
 */
export async function receiveUpload(
  db: Queryable,
  chunks: AsyncIterable<Buffer>,
  o: { claimedType: string | null; filename: string | null; createdBy: string },
): Promise<UploadedFile> {
  const filename = cleanFilename(o.filename);
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  let limit = MAX_FILE_BYTES;
  let contentType: string | null = null;
  // Set inside store(); typed so, TypeScript does not take it for always null below.
  let text = null as PlainTextCheck | null;
  let mediaId: string | null = null;
  let written = 0;

  // Takes `bytes` from the front of what is pending (a chunk's worth, or the rest at the end).
  const take = (bytes: number): Buffer => {
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    const piece = all.subarray(0, bytes);
    pending = bytes < all.length ? [all.subarray(bytes)] : [];
    pendingBytes -= bytes;
    return piece;
  };

  const store = async (piece: Buffer) => {
    if (!contentType) {
      contentType = await mediaTypeFromHead(piece, o.claimedType);
      limit = sizeLimitOf(contentType);
      if (size > limit) throw new MediaTooLargeError(limit < MAX_FILE_BYTES);
      if (contentType === 'text/plain') text = new PlainTextCheck();
    }
    text?.add(piece);
    if (mediaId === null) mediaId = await outgoingMediaRepository.beginUpload(db, { contentType, filename, createdBy: o.createdBy, firstChunk: piece });
    else await outgoingMediaRepository.appendChunk(db, mediaId, written, piece);
    written++;
  };

  try {
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > limit) throw new MediaTooLargeError(limit < MAX_FILE_BYTES);
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= MEDIA_CHUNK_BYTES) await store(take(MEDIA_CHUNK_BYTES));
    }
    if (pendingBytes > 0 || written === 0) await store(take(pendingBytes));
    if (text && !text.finish()) throw notPlainText();
  } catch (err) {
    pending = [];
    if (mediaId) await discardUpload(db, mediaId);
    throw err;
  }
  return { mediaId: mediaId!, contentType: contentType!, filename, size, sha256: hash.digest('hex') };
}

/** Forgets an upload that will not be sent after all; one already sent stays. */
export async function discardUpload(db: Queryable, mediaId: string): Promise<void> {
  // Should this fail (the database went away), the sweep of abandoned uploads removes it.
  await outgoingMediaRepository.discardUpload(db, mediaId).catch(() => {});
}

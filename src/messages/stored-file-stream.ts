import { Readable } from 'node:stream';
import type { Queryable } from '../db/database.ts';
import { MEDIA_CHUNK_BYTES, outgoingMediaRepository } from '../db/outgoing-media-repository.ts';

/**
 * Bytes `start`..`end` (inclusive) of a file sent from the panel, read from the database one
 * chunk at a time as the reader takes them: a client that reads slowly holds back the reads, and
 * no more than a chunk or two is ever in memory.
 */
export function storedFileStream(db: Queryable, mediaId: string, start: number, end: number): Readable {
  async function* chunks() {
    if (end < start) return;
    const first = Math.floor(start / MEDIA_CHUNK_BYTES);
    const last = Math.floor(end / MEDIA_CHUNK_BYTES);
    for (let n = first; n <= last; n++) {
      const chunk = await outgoingMediaRepository.readChunk(db, mediaId, n);
      // Its bytes were removed while it was being read: the answer ends short of its length.
      if (!chunk) throw new Error(`chunk ${n} of file ${mediaId} is gone`);
      const offset = n * MEDIA_CHUNK_BYTES;
      yield chunk.subarray(n === first ? start - offset : 0, n === last ? end - offset + 1 : chunk.length);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: MEDIA_CHUNK_BYTES });
}

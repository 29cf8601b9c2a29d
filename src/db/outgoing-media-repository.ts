import type { MessageDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';
import { MESSAGE_COLUMNS, toMessageDto, type MessageRow } from './message-repository.ts';

/** Every chunk of a stored file holds this many bytes, the last one fewer (migration 012 wrote old files so too). */
export const MEDIA_CHUNK_BYTES = 256 * 1024;

/** A stored file as the media routes serve it: its bytes are read chunk by chunk (`readChunk`). */
export interface OutgoingMediaFile {
  id: string;
  contentType: string;
  filename: string | null;
  size: number;
  /** Its bytes were removed long after its link expired (removeExpiredBytes). */
  bytesRemoved: boolean;
}

// Written with each chunk: its commit does not wait for the disk (one flush per chunk made uploads
// about three times slower). Nothing is lost by it: the send's own commit, which ties the upload to
// its message (`attach`), does wait, and that flush carries everything written before it.
const WITHOUT_WAITING_FOR_DISK = `(SELECT set_config('synchronous_commit', 'off', true)) AS without_waiting_for_disk`;

export const outgoingMediaRepository = {
  /**
   * Starts keeping an upload whose type its first bytes showed, with that first chunk. It has no
   * message and no link until `attach`; `discardUpload` or the sweep of abandoned uploads removes it.
   */
  async beginUpload(q: Queryable, m: { contentType: string; filename: string | null; createdBy: string; firstChunk: Buffer }): Promise<string> {
    const { rows } = await q.query<{ id: string }>(
      `WITH upload AS (
         INSERT INTO outgoing_media (content_type, filename, size, sha256, created_by) VALUES ($1, $2, 0, '', $3) RETURNING id
       )
       INSERT INTO outgoing_media_chunks (media_id, n, bytes) SELECT id, 0, $4 FROM upload, ${WITHOUT_WAITING_FOR_DISK} RETURNING media_id AS id`,
      [m.contentType, m.filename, m.createdBy, m.firstChunk],
    );
    return rows[0]!.id;
  },

  async appendChunk(q: Queryable, mediaId: string, n: number, bytes: Buffer): Promise<void> {
    await q.query(`INSERT INTO outgoing_media_chunks (media_id, n, bytes) SELECT $1, $2, $3 FROM ${WITHOUT_WAITING_FOR_DISK}`, [mediaId, n, bytes], { prepare: true });
  },

  /** Forgets an upload that was refused or cut off (its chunks go with it); one already sent stays. */
  async discardUpload(q: Queryable, mediaId: string): Promise<void> {
    await q.query('DELETE FROM outgoing_media WHERE id = $1 AND message_id IS NULL', [mediaId]);
  },

  /**
   * Ties a complete upload to message `messageId`, reachable without a session by the token whose
   * hash is given until `expiresAt`. False when the upload is gone or already sent.
   */
  async attach(
    q: Queryable,
    m: { mediaId: string; messageId: string; size: number; sha256: string; tokenHash: string; expiresAt: Date },
  ): Promise<boolean> {
    const { rows } = await q.query(
      `UPDATE outgoing_media SET message_id = $2, size = $3, sha256 = $4, token_hash = $5, expires_at = $6
       WHERE id = $1 AND message_id IS NULL RETURNING id`,
      [m.mediaId, m.messageId, m.size, m.sha256, m.tokenHash, m.expiresAt],
    );
    return rows.length === 1;
  },

  /** The file behind a public link, or null when no link has this hash or it has expired. */
  async findByTokenHash(q: Queryable, tokenHash: string): Promise<OutgoingMediaFile | null> {
    const { rows } = await q.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM outgoing_media
       WHERE token_hash = $1 AND expires_at > now() AND message_id IS NOT NULL AND bytes_removed_at IS NULL`,
      [tokenHash],
    );
    return rows[0] ? toFile(rows[0]) : null;
  },

  /** The `index`th file sent with a message (the panel's session-checked route). */
  async findForMessage(q: Queryable, messageId: string, index: number): Promise<OutgoingMediaFile | null> {
    const { rows } = await q.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM outgoing_media WHERE message_id = $1 ORDER BY created_at, id OFFSET $2 LIMIT 1`,
      [messageId, index],
    );
    return rows[0] ? toFile(rows[0]) : null;
  },

  /** Chunk `n` of a file, or null when there is no such chunk (its bytes were removed meanwhile). */
  async readChunk(q: Queryable, mediaId: string, n: number): Promise<Buffer | null> {
    const { rows } = await q.query<{ bytes: Buffer | Uint8Array }>(
      'SELECT bytes FROM outgoing_media_chunks WHERE media_id = $1 AND n = $2',
      [mediaId, n],
      { prepare: true },
    );
    return rows[0] ? asBuffer(rows[0].bytes) : null;
  },

  /**
   * Removes the bytes of up to `limit` files whose link expired more than `graceHours` ago, keeping
   * their rows, and marks their items in the message (`removed`) so the chat shows the name and
   * size of a file that is no longer there. Returns the messages so changed. SKIP LOCKED: several
   * instances sweeping at once take different files.
   */
  async removeExpiredBytes(q: Queryable, graceHours: number, limit: number): Promise<MessageDto[]> {
    const { rows } = await q.query<MessageRow>(
      `WITH due AS (
         SELECT id FROM outgoing_media
         WHERE bytes_removed_at IS NULL AND message_id IS NOT NULL AND expires_at < now() - make_interval(hours => $1)
         ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), marked AS (
         UPDATE outgoing_media o SET bytes_removed_at = now() FROM due WHERE o.id = due.id RETURNING o.id, o.message_id
       ), dropped AS (
         DELETE FROM outgoing_media_chunks c USING marked WHERE c.media_id = marked.id
       )
       UPDATE messages AS m SET seq = nextval('change_seq'), media = COALESCE((
         SELECT jsonb_agg(CASE WHEN x.item->>'stored' = 'true' THEN x.item || '{"removed": true}'::jsonb ELSE x.item END ORDER BY x.i)
         FROM jsonb_array_elements(m.media) WITH ORDINALITY AS x(item, i)
       ), m.media)
       WHERE m.id IN (SELECT message_id FROM marked)
       RETURNING ${MESSAGE_COLUMNS}`,
      [graceHours, limit],
    );
    return rows.map(toMessageDto);
  },

  /** Deletes uploads that never became a message (the server stopped mid-upload) and are older than `olderThanMinutes`. */
  async deleteAbandonedUploads(q: Queryable, olderThanMinutes: number): Promise<number> {
    const { rows } = await q.query(
      `DELETE FROM outgoing_media WHERE message_id IS NULL AND created_at < now() - make_interval(mins => $1) RETURNING id`,
      [olderThanMinutes],
    );
    return rows.length;
  },
};

const FILE_COLUMNS = 'id, content_type, filename, size, bytes_removed_at IS NOT NULL AS bytes_removed';
interface FileRow { id: string; content_type: string; filename: string | null; size: number; bytes_removed: boolean }

const toFile = (r: FileRow): OutgoingMediaFile => ({
  id: r.id, contentType: r.content_type, filename: r.filename, size: Number(r.size), bytesRemoved: r.bytes_removed,
});

const asBuffer = (b: Buffer | Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

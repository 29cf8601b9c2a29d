import type { Queryable } from './database.ts';

export interface OutgoingMediaFile {
  contentType: string;
  filename: string | null;
  size: number;
  bytes: Buffer;
}

export const outgoingMediaRepository = {
  /** Keeps a file sent with message `messageId`, reachable without a session by the token whose hash is given until `expiresAt`. */
  async insert(
    q: Queryable,
    m: { messageId: string; contentType: string; filename: string | null; bytes: Buffer; sha256: string; tokenHash: string; expiresAt: Date; createdBy: string },
  ): Promise<void> {
    await q.query(
      `INSERT INTO outgoing_media (message_id, content_type, filename, size, sha256, token_hash, expires_at, created_by, bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [m.messageId, m.contentType, m.filename, m.bytes.length, m.sha256, m.tokenHash, m.expiresAt, m.createdBy, m.bytes],
    );
  },

  /** The file behind a public link, or null when no link has this hash or it has expired. */
  async findByTokenHash(q: Queryable, tokenHash: string): Promise<OutgoingMediaFile | null> {
    const { rows } = await q.query<FileRow>(
      `SELECT content_type, filename, size, bytes FROM outgoing_media WHERE token_hash = $1 AND expires_at > now()`,
      [tokenHash],
    );
    return rows[0] ? toFile(rows[0]) : null;
  },

  /** The `index`th file sent with a message (the panel's session-checked route). */
  async findForMessage(q: Queryable, messageId: string, index: number): Promise<OutgoingMediaFile | null> {
    const { rows } = await q.query<FileRow>(
      `SELECT content_type, filename, size, bytes FROM outgoing_media WHERE message_id = $1 ORDER BY created_at, id OFFSET $2 LIMIT 1`,
      [messageId, index],
    );
    return rows[0] ? toFile(rows[0]) : null;
  },
};

interface FileRow { content_type: string; filename: string | null; size: number; bytes: Buffer | Uint8Array }

const toFile = (r: FileRow): OutgoingMediaFile => ({
  contentType: r.content_type,
  filename: r.filename,
  size: Number(r.size),
  bytes: Buffer.isBuffer(r.bytes) ? r.bytes : Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength),
});

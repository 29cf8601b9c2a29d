-- The bytes of files sent from the panel, in chunks of 256 KiB (262144 bytes; only the last one is
-- shorter), written while the upload arrives and read back one chunk at a time, so no file is ever
-- held whole in memory. An outgoing_media row without a message is an upload still arriving (its
-- size and hash are set when it is sent); one left behind by a crash is swept.
CREATE TABLE outgoing_media_chunks (
  media_id uuid NOT NULL REFERENCES outgoing_media (id) ON DELETE CASCADE,
  n integer NOT NULL,
  bytes bytea NOT NULL,
  PRIMARY KEY (media_id, n)
);

-- Files kept whole by 010 move into chunks.
INSERT INTO outgoing_media_chunks (media_id, n, bytes)
SELECT o.id, c.n, substring(o.bytes FROM c.n * 262144 + 1 FOR 262144)
FROM outgoing_media o, generate_series(0, (length(o.bytes) - 1) / 262144) AS c(n)
WHERE length(o.bytes) > 0;
ALTER TABLE outgoing_media DROP COLUMN bytes;

-- An upload still arriving has no public link yet.
ALTER TABLE outgoing_media ALTER COLUMN token_hash DROP NOT NULL, ALTER COLUMN expires_at DROP NOT NULL;
-- Set when the bytes of a file whose link expired long ago are removed; the row (name, type, size)
-- stays so the chat still shows what was sent.
ALTER TABLE outgoing_media ADD COLUMN bytes_removed_at timestamptz;
CREATE INDEX outgoing_media_expiry ON outgoing_media (expires_at) WHERE bytes_removed_at IS NULL;
CREATE INDEX outgoing_media_uploads ON outgoing_media (created_at) WHERE message_id IS NULL;

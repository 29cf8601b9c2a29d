-- Files sent from the panel. The bytes live here so every instance can serve them; Twilio fetches
-- each one once from BASE_URL/media/out/<token>, the only way in without a session. Only the
-- token's SHA-256 is kept, so a copy of the database does not open the links; a link stops working
-- at expires_at.
CREATE TABLE outgoing_media (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id uuid REFERENCES messages (id),
  content_type text NOT NULL,
  filename text,
  size integer NOT NULL,
  sha256 text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  bytes bytea NOT NULL
);
CREATE INDEX outgoing_media_message ON outgoing_media (message_id);

-- Who did what: panel sends, user and setting changes. Append-only.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_id uuid REFERENCES users (id),
  action text NOT NULL,          -- message.send, user.create, user.update, settings.update
  target text,                   -- the message or user id
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);

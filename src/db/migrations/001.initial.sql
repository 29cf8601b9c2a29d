-- Every write to a message or conversation takes a new value, so a panel that reconnects asks for
-- "everything after N" and misses nothing.
CREATE SEQUENCE change_seq;

-- Twilio's statuses in forward order. Callbacks arrive unordered, so a status is only ever replaced
-- by one of higher rank; failed, undelivered and canceled are final outcomes and outrank all.
CREATE FUNCTION wa_status_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE status
    WHEN 'accepted' THEN 0 WHEN 'scheduled' THEN 0
    WHEN 'queued' THEN 1 WHEN 'receiving' THEN 1
    WHEN 'sending' THEN 2
    WHEN 'sent' THEN 3
    WHEN 'partially_delivered' THEN 4 WHEN 'delivered' THEN 4
    WHEN 'read' THEN 5 WHEN 'received' THEN 5
    WHEN 'undelivered' THEN 9 WHEN 'failed' THEN 9 WHEN 'canceled' THEN 9
    ELSE -1 END
$$;

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'agent')),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone text NOT NULL UNIQUE,              -- E.164: +573153369631
  name text,
  -- 'profile': taken from WhatsApp's ProfileName and refreshed by it; 'user': set by a person, kept.
  name_source text NOT NULL DEFAULT 'none' CHECK (name_source IN ('none', 'profile', 'user')),
  wa_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id uuid NOT NULL UNIQUE REFERENCES contacts (id),
  last_message_id uuid,
  last_message_at timestamptz,
  last_inbound_at timestamptz,             -- opens WhatsApp's 24-hour window
  unread_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  seq bigint NOT NULL DEFAULT nextval('change_seq')
);
CREATE INDEX conversations_activity ON conversations (last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_seq ON conversations (seq);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sid text,                                -- null only while a panel send waits for Twilio's answer
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  source text NOT NULL CHECK (source IN ('panel', 'external', 'inbound')),
  captured_via text NOT NULL CHECK (captured_via IN ('send', 'callback', 'webhook', 'reconcile', 'backfill')),
  status text NOT NULL,
  body text,
  body_pending boolean NOT NULL DEFAULT false,
  media jsonb NOT NULL DEFAULT '[]',
  content_sid text,
  content_variables jsonb,
  error_code integer,
  error_message text,
  sent_by uuid REFERENCES users (id),
  reply_to_sid text,
  button_payload text,
  location jsonb,
  business_address text,                   -- our side: whatsapp:+57... (a Messaging Service may use several)
  messaging_service_sid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  delivered_at timestamptz,
  read_at timestamptz,
  failed_at timestamptz,
  seq bigint NOT NULL DEFAULT nextval('change_seq')
);
-- Exactly one row per Twilio message, whatever order or number of callbacks arrive in.
CREATE UNIQUE INDEX messages_sid_key ON messages (sid);
CREATE INDEX messages_conversation_time ON messages (conversation_id, created_at DESC, id DESC);
CREATE INDEX messages_seq ON messages (seq);

-- Durable background work (fetching a captured message's text from Twilio): survives restarts,
-- retried with backoff, claimed with SKIP LOCKED so several instances never do one job twice.
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  message_id uuid REFERENCES messages (id) ON DELETE CASCADE,
  attempts integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, message_id)
);
CREATE INDEX jobs_due ON jobs (run_at);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Small facts the operator asks about (last callback received, reconciliation checkpoint).
CREATE TABLE checkpoints (
  name text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Several WhatsApp numbers: a conversation is one of our senders × one customer. Senders are added
-- at start (TWILIO_WHATSAPP_FROM, the Messaging Service's senders) and as messages name them; an
-- admin gives each a name and a colour (null: the panel picks one from the address).
CREATE TABLE senders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  address text NOT NULL UNIQUE CHECK (address ~ '^whatsapp:\+[1-9][0-9]{6,14}$'),
  name text NOT NULL DEFAULT '' CHECK (char_length(name) <= 60),
  colour text CHECK (colour ~ '^#[0-9a-f]{6}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Existing data: the server sets wa_inbox.default_sender to the configured (first) number before
-- migrating. Every number our messages name becomes a sender too; the default is the configured
-- one, else the one most messages name.
INSERT INTO senders (address)
SELECT a FROM (
  SELECT nullif(current_setting('wa_inbox.default_sender', true), '') AS a
  UNION SELECT DISTINCT business_address FROM messages
) x WHERE a ~ '^whatsapp:\+[1-9][0-9]{6,14}$'
ON CONFLICT (address) DO NOTHING;

CREATE TEMP TABLE migration_default_sender ON COMMIT DROP AS
SELECT s.id FROM senders s
ORDER BY (s.address = nullif(current_setting('wa_inbox.default_sender', true), '')) DESC NULLS LAST,
  (SELECT count(*) FROM messages m WHERE m.business_address = s.address) DESC, s.address
LIMIT 1;

ALTER TABLE conversations DROP CONSTRAINT conversations_contact_id_key;
ALTER TABLE conversations ADD COLUMN sender_id uuid REFERENCES senders (id);

-- Which of our numbers each conversation's messages went through, and how many.
CREATE TEMP TABLE migration_conversation_senders ON COMMIT DROP AS
SELECT m.conversation_id, s.id AS sender_id, count(*) AS n, max(m.created_at) AS latest
FROM messages m JOIN senders s ON s.address = m.business_address
GROUP BY m.conversation_id, s.id;

-- A conversation keeps the default sender when its messages went through it (or name none), else
-- the number most of them went through; notes, assignee and status stay with it.
-- (One pass over the table each: a subquery per conversation was quadratic, minutes at 50,000.)
UPDATE conversations c SET sender_id = p.sender_id
FROM (
  SELECT DISTINCT ON (cs.conversation_id) cs.conversation_id, cs.sender_id
  FROM migration_conversation_senders cs
  ORDER BY cs.conversation_id, (cs.sender_id = (SELECT id FROM migration_default_sender)) DESC, cs.n DESC, cs.latest DESC
) p
WHERE p.conversation_id = c.id;
UPDATE conversations SET sender_id = (SELECT id FROM migration_default_sender) WHERE sender_id IS NULL;

DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM conversations WHERE sender_id IS NULL) THEN
    RAISE EXCEPTION 'existing conversations need a WhatsApp sender: set TWILIO_WHATSAPP_FROM and start again';
  END IF;
END $$;

-- A customer who wrote to two of our numbers had one conversation: the messages of each other
-- number move to a conversation of their own (same assignee and status).
CREATE TEMP TABLE migration_splits ON COMMIT DROP AS
SELECT cs.conversation_id AS old_id, cs.sender_id, gen_random_uuid() AS new_id
FROM migration_conversation_senders cs JOIN conversations c ON c.id = cs.conversation_id
WHERE cs.sender_id <> c.sender_id;

-- The unread messages were the newest `unread_count` inbound ones: each part keeps its own.
CREATE TEMP TABLE migration_unread ON COMMIT DROP AS
SELECT id FROM (
  SELECT m.id, c.unread_count, row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.created_at DESC, m.id DESC) AS k
  FROM messages m JOIN conversations c ON c.id = m.conversation_id
  WHERE m.direction = 'inbound' AND m.conversation_id IN (SELECT old_id FROM migration_splits)
) r WHERE k <= unread_count;

INSERT INTO conversations (id, contact_id, sender_id, assignee_id, status, created_at)
SELECT x.new_id, c.contact_id, x.sender_id, c.assignee_id, c.status, c.created_at
FROM migration_splits x JOIN conversations c ON c.id = x.old_id;

UPDATE messages m SET conversation_id = x.new_id, seq = nextval('change_seq')
FROM migration_splits x JOIN senders s ON s.id = x.sender_id
WHERE m.conversation_id = x.old_id AND m.business_address = s.address;

UPDATE conversations c SET
  last_message_id = (SELECT m.id FROM messages m WHERE m.conversation_id = c.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
  last_message_at = (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id),
  last_inbound_at = (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound'),
  unread_count = (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.id IN (SELECT id FROM migration_unread)),
  seq = nextval('change_seq')
WHERE c.id IN (SELECT old_id FROM migration_splits UNION SELECT new_id FROM migration_splits);

ALTER TABLE conversations ALTER COLUMN sender_id SET NOT NULL;
ALTER TABLE conversations ADD CONSTRAINT conversations_contact_sender_key UNIQUE (contact_id, sender_id);
-- The list filtered by sender, in the list's order.
CREATE INDEX conversations_sender_activity ON conversations (sender_id, last_message_at DESC NULLS LAST, id DESC);

-- Contacts keep WhatsApp's ProfileName apart from the name we use (`name`, which a person's rename
-- fixes for good: name_source 'user'), and free-text notes about the customer.
ALTER TABLE contacts ADD COLUMN profile_name text;
ALTER TABLE contacts ADD COLUMN notes text NOT NULL DEFAULT '';
UPDATE contacts SET profile_name = name WHERE name_source = 'profile';

-- Internal notes in a chat's timeline: for the team only, never sent to WhatsApp, so they live
-- apart from messages and never touch the conversation's last message, unread count or window.
CREATE TABLE notes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  author_id uuid REFERENCES users (id),
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  seq bigint NOT NULL DEFAULT nextval('change_seq')
);
-- The chat's timeline pages over (created_at DESC, id DESC), as messages_conversation_time.
CREATE INDEX notes_conversation_time ON notes (conversation_id, created_at DESC, id DESC);
CREATE INDEX notes_seq ON notes (seq);

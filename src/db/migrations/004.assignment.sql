-- Who looks after a conversation (a user, or nobody) and whether it is done. Users are never
-- deleted (only disabled), so the reference always resolves.
ALTER TABLE conversations ADD COLUMN assignee_id uuid REFERENCES users (id);
ALTER TABLE conversations ADD COLUMN status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved'));

-- The list's filters, each in the list's order (last_message_at DESC NULLS LAST, id DESC), so a
-- filtered page is read from an index in order rather than sorted:
-- Míos / Sin asignar (with or without a status), Abiertos / Resueltos, No leídos.
CREATE INDEX conversations_assignee_activity ON conversations (assignee_id, status, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_status_activity ON conversations (status, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_unread_activity ON conversations (last_message_at DESC NULLS LAST, id DESC) WHERE unread_count > 0;

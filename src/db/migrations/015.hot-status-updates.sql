-- A status callback rewrites a message's status, its time and its seq. While any of those columns
-- is indexed, PostgreSQL cannot update the row in place on its page (a HOT update): it writes a
-- new entry into every index of the table, the body's trigram index included (about 45 entries a
-- text), for every callback. Two of a message's three callbacks are such updates. So:
--   1. the seq is no longer indexed on messages: a narrow log (seq, message id) answers "what
--      changed after seq N", written by the triggers below for every statement that moves a seq;
--   2. the status leaves the re-check index's predicate: a message whose status can no longer
--      advance is retired from it by the re-check pass (status_checked_at = 'infinity');
--   3. pages keep room for the new versions of their rows.

CREATE TABLE message_changes (
  seq bigint PRIMARY KEY,
  message_id uuid NOT NULL
);
-- Only each message's latest change is worth keeping; earlier ones are pruned in the background.
INSERT INTO message_changes (seq, message_id) SELECT seq, id FROM messages;

CREATE FUNCTION wa_log_message_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- An update that leaves the seq alone (a re-check's mark) finds its seq logged already.
  INSERT INTO message_changes (seq, message_id) SELECT seq, id FROM changed_rows ON CONFLICT (seq) DO NOTHING;
  RETURN NULL;
END $$;
-- One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
CREATE TRIGGER messages_log_inserts AFTER INSERT ON messages
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION wa_log_message_changes();
CREATE TRIGGER messages_log_updates AFTER UPDATE ON messages
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION wa_log_message_changes();

DROP INDEX messages_seq;

-- Outbound messages not yet retired from re-checks. Messages that were final before this migration
-- are retired by the pass as it meets them, not here: a rewrite of the whole history at start.
DROP INDEX messages_status_recheck;
CREATE INDEX messages_status_recheck ON messages (status_checked_at NULLS FIRST, created_at)
  WHERE direction = 'outbound' AND sid IS NOT NULL AND (status_checked_at IS NULL OR status_checked_at < 'infinity');

-- New pages keep a fifth free, so a row's next versions fit beside it.
ALTER TABLE messages SET (fillfactor = 80);

-- Reconcile re-fetches outbound messages whose status can still advance (a `read` whose callback
-- was lost), a bounded number per pass, the longest unchecked first: status_checked_at says when
-- that last happened (null: never), so a pass never re-fetches the same head of the queue forever.
ALTER TABLE messages ADD COLUMN status_checked_at timestamptz;
-- Only the messages a re-check can pick: the final ones (read, failed, undelivered, canceled) and
-- inbound ones stay out of the index, so it stays small however large the history grows.
CREATE INDEX messages_status_recheck ON messages (status_checked_at NULLS FIRST, created_at)
  WHERE direction = 'outbound' AND sid IS NOT NULL
    AND status IN ('accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered');

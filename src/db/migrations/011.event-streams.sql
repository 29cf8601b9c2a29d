-- Messages can also arrive through Twilio Event Streams (a webhook sink).
ALTER TABLE messages DROP CONSTRAINT messages_captured_via_check;
ALTER TABLE messages ADD CONSTRAINT messages_captured_via_check
  CHECK (captured_via IN ('send', 'callback', 'webhook', 'reconcile', 'backfill', 'event_stream'));

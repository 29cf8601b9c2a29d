-- The phone search's trigram index was on `phone` itself. pg_trgm's operator class also answers
-- `phone = ...`, and on a contacts table autovacuum had not yet analysed (a campaign's first minutes
-- on a new install) the planner priced it below the unique btree: each look-up of a batch's new
-- customers then read the index's whole pending list (13 ms each at 13,000 new contacts, 78% of
-- PostgreSQL's CPU in the campaign bench). The search matches digits, so the index is on the
-- phone's digits, an expression no `phone = ...` can use: equality stays on contacts_phone_key.
DROP INDEX IF EXISTS contacts_phone_search;
CREATE INDEX contacts_phone_digits_search ON contacts USING gin (ltrim(phone, '+') gin_trgm_ops);

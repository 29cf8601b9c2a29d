-- Search that finds: case and accents ignored ("campana" finds "Campaña", "nunez" finds "Núñez"),
-- on contact names, phones and message text, served by trigram indexes rather than a read of
-- every message. Both extensions are trusted (PostgreSQL 13+): the database's owner may create them.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- What search compares: lower case, accents removed. unaccent() is only STABLE (its dictionary could
-- change), so an index needs this IMMUTABLE wrapper naming the dictionary and schema outright.
CREATE OR REPLACE FUNCTION search_text(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE INDEX messages_body_search ON messages USING gin (search_text(body) gin_trgm_ops);
-- Matching messages come newest first: a word found in most messages is read off this index, newest
-- first, until a page is full (the trigram index would hand over every match to be sorted).
CREATE INDEX messages_time ON messages (created_at DESC, id DESC);
-- The name we use and WhatsApp's profile name: a renamed contact is found by either.
CREATE INDEX contacts_name_search ON contacts USING gin (search_text(coalesce(name, '') || ' ' || coalesce(profile_name, '')) gin_trgm_ops);
CREATE INDEX contacts_phone_search ON contacts USING gin (phone gin_trgm_ops);

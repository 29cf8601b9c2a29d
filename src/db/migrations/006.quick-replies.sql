-- Canned answers the admins keep and agents insert from the composer with `/shortcut`. The
-- shortcut is stored normalised (no slash, lowercase, NFC), so `/Horario` and `horario` meet on
-- the unique index and a duplicate is refused by the insert itself, not by a check beforehand.
CREATE TABLE quick_replies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  shortcut text NOT NULL UNIQUE CHECK (char_length(shortcut) BETWEEN 1 AND 32),
  body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4096),
  created_by uuid REFERENCES users (id),
  updated_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

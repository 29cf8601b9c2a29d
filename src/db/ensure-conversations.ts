// SQL shared by the statements that may meet a new customer (its own module: both repositories use it).

/**
 * CTEs that give `ensured(phone, address, id)`: the conversation of each (customer phone, our
 * sender's address) in a CTE `wanted(phone, address)`, created with its contact, and its sender,
 * when new. A conversation is one of our numbers × one customer. Known pairs are only read; new
 * ones are upserted (not looked up then inserted), so writers creating the same new conversation
 * at the same instant, here or on another instance, still share one contact, one sender and one
 * conversation (DO UPDATE returns the row another transaction committed, where DO NOTHING would
 * return nothing).
 */
export const ENSURE_CONVERSATIONS = `
  found AS (
    SELECT w.phone, w.address, c.id FROM wanted w
    JOIN contacts k ON k.phone = w.phone JOIN senders s ON s.address = w.address
    JOIN conversations c ON c.contact_id = k.id AND c.sender_id = s.id
  ),
  missing AS (
    SELECT w.phone, w.address FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.phone = w.phone AND f.address = w.address)
  ),
  sender AS (
    SELECT s.id, s.address FROM senders s WHERE s.address IN (SELECT address FROM missing)
  ),
  new_sender AS (
    INSERT INTO senders (address) SELECT DISTINCT address FROM missing WHERE address NOT IN (SELECT address FROM sender)
    ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address RETURNING id, address
  ),
  any_sender AS (SELECT id, address FROM sender UNION ALL SELECT id, address FROM new_sender),
  contact AS (
    INSERT INTO contacts (phone) SELECT DISTINCT phone FROM missing
    ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id, phone
  ),
  conversation AS (
    INSERT INTO conversations (contact_id, sender_id)
    SELECT k.id, s.id FROM missing m JOIN contact k ON k.phone = m.phone JOIN any_sender s ON s.address = m.address
    ON CONFLICT (contact_id, sender_id) DO UPDATE SET contact_id = EXCLUDED.contact_id
    -- xmax is 0 only on a row this statement inserted, not on one another writer committed first.
    RETURNING id, contact_id, sender_id, xmax = 0 AS inserted
  ),
  ensured AS (
    SELECT phone, address, id FROM found
    UNION ALL SELECT k.phone, s.address, c.id FROM conversation c JOIN contact k ON k.id = c.contact_id JOIN any_sender s ON s.id = c.sender_id
  )`;

/**
 * `wanted(phone, address)` from two parallel text arrays; a null address is the oldest sender
 * (the one number of a single-number install).
 */
export const WANTED_FROM_ARRAYS = (phones: string, addresses: string) => `
  wanted AS (
    SELECT DISTINCT w.phone, COALESCE(w.address, (SELECT address FROM senders ORDER BY created_at, address LIMIT 1)) AS address
    FROM unnest(${phones}::text[], ${addresses}::text[]) AS w(phone, address)
  )`;

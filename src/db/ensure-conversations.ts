// SQL shared by the statements that may meet a new customer (its own module: both repositories use it).

// The parts both forms share.
const FOUND = `
    SELECT w.phone, w.address, c.id FROM wanted w
    JOIN contacts k ON k.phone = w.phone JOIN senders s ON s.address = w.address
    JOIN conversations c ON c.contact_id = k.id AND c.sender_id = s.id`;
const MISSING = `
    SELECT w.phone, w.address FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.phone = w.phone AND f.address = w.address)`;
// A sender is new only when an operator adds a number: rare, and never raced by a batch's writes.
const SENDERS = `
  sender AS (
    SELECT s.id, s.address FROM senders s WHERE s.address IN (SELECT address FROM missing)
  ),
  new_sender AS (
    INSERT INTO senders (address) SELECT DISTINCT address FROM missing WHERE address NOT IN (SELECT address FROM sender) ORDER BY address
    ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address RETURNING id, address
  ),
  any_sender AS (SELECT id, address FROM sender UNION ALL SELECT id, address FROM new_sender)`;
const ENSURED = `
  ensured AS (
    SELECT phone, address, id FROM found
    UNION ALL SELECT k.phone, s.address, c.id FROM conversation c JOIN contact k ON k.id = c.contact_id JOIN any_sender s ON s.id = c.sender_id
  )`;

/**
 * CTEs that give `ensured(phone, address, id)`: the conversation of each (customer phone, our
 * sender's address) in a CTE `wanted(phone, address)`, created with its contact, and its sender,
 * when new. A conversation is one of our numbers × one customer. Known pairs are only read; new
 * ones are upserted (not looked up then inserted), so writers creating the same new conversation
 * at the same instant, here or on another instance, still share one contact, one sender and one
 * conversation (DO UPDATE returns the row another transaction committed, where DO NOTHING would
 * return nothing). New contacts and conversations are inserted in key order, so two writers
 * creating several of the same at once wait for each other in one order.
 */
export const ENSURE_CONVERSATIONS = `
  found AS (${FOUND}),
  missing AS (${MISSING}),
  ${SENDERS},
  contact AS (
    INSERT INTO contacts (phone) SELECT DISTINCT phone FROM missing ORDER BY phone
    ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id, phone
  ),
  conversation AS (
    INSERT INTO conversations (contact_id, sender_id)
    SELECT k.id, s.id FROM missing m JOIN contact k ON k.phone = m.phone JOIN any_sender s ON s.address = m.address
    ORDER BY k.id, s.id
    ON CONFLICT (contact_id, sender_id) DO UPDATE SET contact_id = EXCLUDED.contact_id
    -- xmax is 0 only on a row this statement inserted, not on one another writer committed first.
    RETURNING id, contact_id, sender_id, xmax = 0 AS inserted
  ),
  ${ENSURED}`;

/**
 * The same, for a statement that goes on to write in the conversations it ensures (a batch of
 * status callbacks), so it must hold no lock on them meanwhile: a contact or conversation another
 * writer is creating at the same instant is left out of `ensured` (DO NOTHING takes no lock on
 * the other's row, where DO UPDATE held it to the end of the statement, and two instances' batches
 * deadlocked over it), and the caller writes those messages again once that writer has committed.
 *
 * `opening`, a CTE `(phone, address, last_message_id, last_message_at, unread_count)`, gives a
 * conversation created here its first activity at once: the statement's own UPDATE of
 * conversations cannot see a row the same statement inserted (every part reads one snapshot).
 */
export const ensureConversationsOrLeave = (opening: string) => `
  found AS (${FOUND}),
  missing AS (${MISSING}),
  ${SENDERS},
  new_contact AS (
    INSERT INTO contacts (phone) SELECT DISTINCT phone FROM missing ORDER BY phone
    ON CONFLICT (phone) DO NOTHING RETURNING id, phone
  ),
  contact AS (
    SELECT k.id, k.phone FROM contacts k WHERE k.phone IN (SELECT phone FROM missing)
    UNION ALL SELECT id, phone FROM new_contact
  ),
  conversation AS (
    INSERT INTO conversations (contact_id, sender_id, last_message_id, last_message_at, unread_count)
    SELECT k.id, s.id, o.last_message_id, o.last_message_at, COALESCE(o.unread_count, 0)
    FROM missing m JOIN contact k ON k.phone = m.phone JOIN any_sender s ON s.address = m.address
    LEFT JOIN ${opening} o ON o.phone = m.phone AND o.address = m.address
    ORDER BY k.id, s.id
    ON CONFLICT (contact_id, sender_id) DO NOTHING
    RETURNING id, contact_id, sender_id
  ),
  ${ENSURED}`;

/**
 * `wanted(phone, address)` from two parallel text arrays; a null address is the oldest sender
 * (the one number of a single-number install).
 */
export const WANTED_FROM_ARRAYS = (phones: string, addresses: string) => `
  wanted AS (
    SELECT DISTINCT w.phone, COALESCE(w.address, (SELECT address FROM senders ORDER BY created_at, address LIMIT 1)) AS address
    FROM unnest(${phones}::text[], ${addresses}::text[]) AS w(phone, address)
  )`;

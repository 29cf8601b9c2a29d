// SQL shared by the statements that may meet a new customer (its own module: both repositories use it).

/**
 * CTEs that give `ensured(phone, id)`: the conversation of each phone in a CTE `wanted(phone)`,
 * created with its contact when new. Known customers are only read; new ones are upserted (not
 * looked up then inserted), so writers creating the same new customer at the same instant, here
 * or on another instance, still share one contact and one conversation (DO UPDATE returns the
 * row another transaction committed, where DO NOTHING would return nothing).
 */
export const ENSURE_CONVERSATIONS = `
  found AS (
    -- ::name keeps this lookup on the unique btree: the search's trigram index (contacts_phone_search)
    -- also answers text = text, and on a table autovacuum has not yet analysed the planner priced it
    -- below the btree; each lookup then read the index's whole pending list (13 ms for 13,000 new
    -- contacts, 78% of PostgreSQL's CPU in a campaign). text = name is a btree operator only. Phones
    -- are E.164, far below name's 63 bytes.
    SELECT k.phone, c.id FROM wanted w JOIN contacts k ON k.phone = w.phone::name JOIN conversations c ON c.contact_id = k.id
  ),
  contact AS (
    INSERT INTO contacts (phone) SELECT phone FROM wanted WHERE phone NOT IN (SELECT phone FROM found)
    ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id, phone
  ),
  conversation AS (
    INSERT INTO conversations (contact_id) SELECT id FROM contact
    ON CONFLICT (contact_id) DO UPDATE SET contact_id = EXCLUDED.contact_id
    -- xmax is 0 only on a row this statement inserted, not on one another writer committed first.
    RETURNING id, contact_id, xmax = 0 AS inserted
  ),
  ensured AS (
    SELECT phone, id FROM found
    UNION ALL SELECT k.phone, c.id FROM conversation c JOIN contact k ON k.id = c.contact_id
  )`;

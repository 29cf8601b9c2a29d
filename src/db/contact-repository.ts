import type { ContactDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';
import { iso } from './message-repository.ts';

/** A contact's columns as the API shows it, over `contacts k` joined to its conversation `c`. */
export const CONTACT_COLUMNS = `k.id AS contact_id, k.phone, k.name, k.profile_name, k.notes, k.created_at AS contact_created_at, c.last_inbound_at`;

export interface ContactRow {
  contact_id: string; phone: string; name: string | null; profile_name: string | null; notes: string;
  contact_created_at: Date | string; last_inbound_at: Date | string | null;
}

export const toContactDto = (r: ContactRow): ContactDto => ({
  id: r.contact_id,
  phone: r.phone,
  name: r.name,
  profileName: r.profile_name,
  notes: r.notes,
  firstContactAt: iso(r.contact_created_at)!,
  lastCustomerMessageAt: iso(r.last_inbound_at),
});

export const contactRepository = {
  /**
   * A person's edit of a contact. A name given is kept from then on (name_source 'user': later
   * ProfileNames no longer replace it); `name: null` hands the name back to WhatsApp's profile.
   * The contact's conversation takes a new seq in the same statement, so its list entry (which
   * carries the contact) reaches every panel and /api/changes. Null: no such contact.
   */
  async update(
    q: Queryable,
    id: string,
    patch: { name?: string | null; notes?: string },
  ): Promise<{ contact: ContactDto; conversationId: string | null } | null> {
    const setName = patch.name !== undefined;
    const { rows } = await q.query<ContactRow & { conversation_id: string | null }>(
      `WITH updated AS (
         UPDATE contacts k SET
           name = CASE WHEN NOT $2::boolean THEN k.name WHEN $3::text IS NULL THEN k.profile_name ELSE $3::text END,
           name_source = CASE WHEN NOT $2::boolean THEN k.name_source WHEN $3::text IS NOT NULL THEN 'user'
                              WHEN k.profile_name IS NOT NULL THEN 'profile' ELSE 'none' END,
           notes = COALESCE($4::text, k.notes)
         WHERE k.id = $1 RETURNING k.*
       ),
       c AS (
         UPDATE conversations c SET seq = nextval('change_seq') FROM updated WHERE c.contact_id = updated.id
         RETURNING c.id, c.last_inbound_at
       )
       SELECT ${CONTACT_COLUMNS}, c.id AS conversation_id FROM updated k LEFT JOIN c ON true`,
      [id, setName, patch.name ?? null, patch.notes ?? null],
    );
    const r = rows[0];
    return r ? { contact: toContactDto(r), conversationId: r.conversation_id } : null;
  },
};

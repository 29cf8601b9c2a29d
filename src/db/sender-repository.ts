import type { SenderDto } from '../contract/api.ts';
import { pickedSenderColour } from '../contract/sender-colours.ts';
import type { Queryable } from './database.ts';

export interface SenderRow { id: string; address: string; name: string; colour: string | null }

export const toSenderDto = (r: SenderRow): SenderDto => ({
  id: r.id,
  address: r.address,
  phone: r.address.replace(/^whatsapp:/, ''),
  name: r.name,
  colour: r.colour ?? pickedSenderColour(r.address),
});

export const senderRepository = {
  /** Adds the numbers not known yet (several instances starting together: one row each). */
  async upsertMany(q: Queryable, addresses: string[]): Promise<void> {
    if (!addresses.length) return;
    await q.query(
      'INSERT INTO senders (address) SELECT DISTINCT unnest($1::text[]) ON CONFLICT (address) DO NOTHING',
      [addresses],
    );
  },

  /** Oldest first: the order numbers were first seen in. */
  async list(q: Queryable): Promise<SenderDto[]> {
    const { rows } = await q.query<SenderRow>('SELECT id, address, name, colour FROM senders ORDER BY created_at, address');
    return rows.map(toSenderDto);
  },

  /** Renames and/or recolours one sender; `colour: null` goes back to the picked colour. Null: no such sender. */
  async update(q: Queryable, id: string, p: { name?: string; colour?: string | null }): Promise<{ before: SenderRow; after: SenderDto } | null> {
    const { rows } = await q.query<SenderRow & { old_name: string; old_colour: string | null }>(
      `WITH old AS (SELECT id, name, colour FROM senders WHERE id = $1 FOR UPDATE)
       UPDATE senders s SET name = CASE WHEN $2 THEN $3 ELSE s.name END, colour = CASE WHEN $4 THEN $5 ELSE s.colour END
       FROM old WHERE s.id = old.id
       RETURNING s.id, s.address, s.name, s.colour, old.name AS old_name, old.colour AS old_colour`,
      [id, p.name !== undefined, p.name ?? '', p.colour !== undefined, p.colour ?? null],
    );
    const r = rows[0];
    if (!r) return null;
    return { before: { id: r.id, address: r.address, name: r.old_name, colour: r.old_colour }, after: toSenderDto(r) };
  },
};

import type { SettingsDto } from '../contract/api.ts';
import type { Queryable } from './database.ts';

export type Settings = SettingsDto;
export const DEFAULT_SETTINGS: Settings = { externalRaisesConversation: true, replyTakesConversation: true };

export const settingsRepository = {
  async load(q: Queryable): Promise<Settings> {
    const { rows } = await q.query<{ key: string; value: unknown }>('SELECT key, value FROM settings');
    const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    return { ...DEFAULT_SETTINGS, ...stored } as Settings;
  },

  async save(q: Queryable, s: Partial<Settings>): Promise<void> {
    for (const [key, value] of Object.entries(s)) {
      await q.query(
        'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
        [key, JSON.stringify(value)],
      );
    }
  },
};

export const checkpointRepository = {
  async get(q: Queryable, name: string): Promise<{ value: string; updatedAt: Date } | null> {
    const { rows } = await q.query<{ value: string; updated_at: Date }>('SELECT value, updated_at FROM checkpoints WHERE name = $1', [name]);
    return rows[0] ? { value: rows[0].value, updatedAt: new Date(rows[0].updated_at) } : null;
  },

  /** The stored value, or `value` stored now if there was none (the first of several instances wins). */
  async getOrCreate(q: Queryable, name: string, value: string): Promise<string> {
    await q.query('INSERT INTO checkpoints (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
    return (await this.get(q, name))!.value;
  },

  async set(q: Queryable, name: string, value: string): Promise<void> {
    await q.query(
      `INSERT INTO checkpoints (name, value) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [name, value],
    );
  },
};

export const leaseRepository = {
  /**
   * Takes (or renews) a named lease for `holder` unless another holder's lease is still fresh.
   * One statement, so two instances racing for it cannot both win.
   */
  async tryAcquire(q: Queryable, name: string, holder: string, seconds: number): Promise<boolean> {
    const { rows } = await q.query(
      `INSERT INTO checkpoints (name, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
       WHERE checkpoints.value = EXCLUDED.value OR checkpoints.updated_at < now() - make_interval(secs => $3)
       RETURNING name`,
      [`lease:${name}`, holder, seconds],
    );
    return rows.length > 0;
  },

  async release(q: Queryable, name: string, holder: string): Promise<void> {
    await q.query('DELETE FROM checkpoints WHERE name = $1 AND value = $2', [`lease:${name}`, holder]);
  },
};

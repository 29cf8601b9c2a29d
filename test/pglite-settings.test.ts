// PGlite (the embedded default) is opened with a smaller buffer pool than PostgreSQL's default, to
// keep the server's memory down (figures in the README's Performance section). With it the
// database still keeps what it wrote across a reopen, and search's extensions still work.
// That a callback answered before a kill -9 survives it on PGlite is process-kill.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openPglite, PGLITE_SETTINGS } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';

describe('PGlite opened with its memory settings', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('a data folder runs with them, keeps its rows across a reopen, and searches accent-blind', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-pglite-settings-'));
    dirs.push(dir);
    let db = await openPglite(dir);
    try {
      for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
        const { rows } = await db.query<Record<string, string>>(`SHOW ${name}`);
        assert.equal(rows[0]![name], value, name);
      }
      await migrate(db);
      await db.query(`INSERT INTO contacts (phone, name) VALUES ('+573153369631', 'José Peñaloza')`);
    } finally {
      await db.close();
    }
    db = await openPglite(dir);
    try {
      const { rows } = await db.query<{ name: string; shared_buffers: string }>(
        `SELECT name, current_setting('shared_buffers') AS shared_buffers FROM contacts
         WHERE search_text(name) LIKE $1 AND similarity(search_text(name), $2) > 0.3`,
        ['%jose penaloza%', 'jose penaloza'],
      );
      assert.deepEqual(rows, [{ name: 'José Peñaloza', shared_buffers: PGLITE_SETTINGS.shared_buffers }]);
    } finally {
      await db.close();
    }
  });

  test('in memory (no folder) it runs with them too', { timeout: 120_000 }, async () => {
    const db = await openPglite(null);
    try {
      const { rows } = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
      assert.equal(rows[0]!.shared_buffers, PGLITE_SETTINGS.shared_buffers);
    } finally {
      await db.close();
    }
  });
});

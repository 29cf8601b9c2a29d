import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { runCli } from '../src/cli/main.ts';
import { LOCK_FILE } from '../src/db/data-dir-lock.ts';
import { openPglite } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { PATIENT, seedConversations, TRICKY_BODY } from './support/export-fixture.ts';

/** The export of a data folder (or, with a postgres:// URL, of that database), without its time of export. */
async function exportOf(where: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  const stdout = new Writable({ write(chunk, _enc, done) { chunks.push(chunk); done(); } });
  const lines: string[] = [];
  const code = await runCli(['export'], (l) => lines.push(l), { ...(where.startsWith('postgres') ? { DATABASE_URL: where } : { DATA_DIR: where }), BASE_URL: 'https://inbox.clinica.example', LOG_LEVEL: 'silent' }, stdout);
  assert.equal(code, 0, lines.join('\n'));
  const { exportedAt: _, ...rest } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { exportedAt: string };
  return rest;
}

// The README's PGlite backup, as written there: stop the server, archive DATA_DIR with tar, and
// restore by putting the folder back.
describe('PGlite backup: a stopped server\'s DATA_DIR, archived and put back, is the same database', () => {
  const dir = mkdtempSync(`${tmpdir()}/wa-backup-`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('tar the folder, extract it elsewhere, open it: every row is there', async () => {
    const original = `${dir}/data`;
    const db = await openPglite(original);
    await migrate(db);
    const seeded = await seedConversations(db);
    await db.close(); // the server stopped
    assert.equal(existsSync(`${original}/${LOCK_FILE}`), false, 'a stopped server leaves no lock in the folder');

    execFileSync('tar', ['-czf', `${dir}/wa-inbox-backup.tar.gz`, '-C', dir, 'data']);
    const restored = `${dir}/restored`;
    mkdirSync(restored);
    execFileSync('tar', ['-xzf', `${dir}/wa-inbox-backup.tar.gz`, '-C', restored]);

    const copy = await openPglite(`${restored}/data`);
    try {
      const { rows } = await copy.query<{ phone: string; body: string | null }>(
        'SELECT k.phone, m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id WHERE c.id = $1 ORDER BY m.created_at, m.id',
        [seeded.conversationId],
      );
      assert.equal(rows.length, 5);
      assert.equal(rows[0]!.phone, PATIENT.phone);
      assert.equal(rows[0]!.body, TRICKY_BODY);
      const { rows: users } = await copy.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      assert.equal(users[0]!.n, 1);
    } finally {
      await copy.close();
    }
    assert.deepEqual(await exportOf(`${restored}/data`), await exportOf(original));
  });
});

const pgTools = ['pg_dump', 'pg_restore'].every((tool) => spawnSync(tool, ['--version']).status === 0);

// The README's PostgreSQL backup, as written there: pg_dump -Fc, then pg_restore into an empty database.
describe('PostgreSQL backup: pg_dump -Fc, pg_restore into an empty database', {
  skip: !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : !pgTools ? 'pg_dump and pg_restore not installed (apt-get install postgresql-client)' : false,
}, () => {
  const dir = mkdtempSync(`${tmpdir()}/wa-pgdump-`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the restored database exports exactly as the original, with the session secret kept in it', async () => {
    const original = await openTestDatabase('postgres');
    const restored = await openTestDatabase('postgres', { empty: true });
    try {
      await seedConversations(original.db);
      await original.db.query(`INSERT INTO checkpoints (name, value) VALUES ('session_secret', 'the-secret-kept-in-the-database')`);
      const dump = `${dir}/wa-inbox.dump`;
      execFileSync('pg_dump', ['-Fc', '-d', original.url!, '-f', dump]);
      execFileSync('pg_restore', ['--no-owner', '--single-transaction', '-d', restored.url!, dump]);
      assert.deepEqual(await exportOf(restored.url!), await exportOf(original.url!));
      const { rows } = await restored.db.query<{ value: string }>(`SELECT value FROM checkpoints WHERE name = 'session_secret'`);
      assert.equal(rows[0]?.value, 'the-secret-kept-in-the-database');
    } finally {
      await restored.close();
      await original.close();
    }
  });
});

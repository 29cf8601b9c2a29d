import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../src/cli/main.ts';
import { databaseKinds } from './support/databases.ts';
import { OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const lines: string[] = [];
  const code = await runCli(args, (l) => lines.push(l), env);
  return { code, text: lines.join('\n') };
}

describe('wa-inbox users (PGlite in a data folder)', () => {
  const dir = mkdtempSync(`${tmpdir()}/wa-cli-`);
  const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('add, list, reset-password, disable; bad input exits 1 with the reason', async () => {
    assert.equal((await cli(['users', 'add', '--email', 'ana@clinica.test', '--name', 'Ana', '--password', 'secreto-123'], env)).code, 0);
    const list = await cli(['users', 'list'], env);
    assert.match(list.text, /ana@clinica\.test\tAna\tagent/);
    assert.equal((await cli(['users', 'reset-password', '--email', 'ana@clinica.test', '--password', 'otro-secreto-1'], env)).code, 0);
    assert.equal((await cli(['users', 'disable', '--email', 'ana@clinica.test'], env)).code, 0);
    assert.match((await cli(['users', 'list'], env)).text, /disabled/);
    const bad = await cli(['users', 'add', '--email', 'x@y.z', '--name', 'X', '--password', 'short'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.text, /at least 8/);
    assert.equal((await cli(['users', 'disable', '--email', 'nobody@x.z'], env)).code, 1);
  });

  test('--help on every command, and an unknown command fails', async () => {
    for (const c of ['configure', 'doctor', 'backfill', 'users']) {
      const r = await cli([c, '--help'], env);
      assert.equal(r.code, 0);
      assert.match(r.text, new RegExp(`wa-inbox ${c}`));
    }
    assert.equal((await cli(['frobnicate'], env)).code, 1);
  });
});

describe('wa-inbox configure, doctor, backfill (postgres)', { skip: !databaseKinds().includes('postgres') && 'PostgreSQL not in this run' }, () => {
  let inbox: TestInbox;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    inbox = await startTestInbox({ kind: 'postgres', messagingServiceSid: true, lifecycle: { delayMs: 5 } });
    env = {
      DATABASE_URL: inbox.databaseUrl!, BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken,
      TWILIO_WHATSAPP_FROM: OUR_NUMBER, TWILIO_MESSAGING_SERVICE_SID: (inbox.local as unknown as { messagingServiceSid?: string }).messagingServiceSid ?? '',
      TWILIO_API_URL: inbox.local.url, LOG_LEVEL: 'silent',
    };
  });
  after(() => inbox.close());

  test('configure points the service and the sender at BASE_URL; --dry-run changes nothing; a second run is a no-op', async () => {
    inbox.local.setWebhooks({ statusCallbackUrl: 'https://old.example.com/cb' });
    const dry = await cli(['configure', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.text);
    assert.match(dry.text, /would change/);
    const first = await cli(['configure'], env);
    assert.equal(first.code, 0, first.text);
    assert.match(first.text, new RegExp(`status callback: .* -> ${inbox.baseUrl}/api/whatsapp/status  \\(changed\\)`));
    assert.match(first.text, /WhatsApp sender/);
    const second = await cli(['configure'], env);
    assert.doesNotMatch(second.text, /\(changed\)/);
    assert.match(second.text, /already set/);
  });

  test('doctor: one line per check, red for http BASE_URL with the fix, exit 1', async () => {
    const r = await cli(['doctor'], env);
    assert.equal(r.code, 1, 'BASE_URL is http here');
    assert.match(r.text, /✔ database/);
    assert.match(r.text, /✔ public URL: GET .* answers 405/);
    assert.match(r.text, /✔ twilio credentials/);
    assert.match(r.text, /✘ BASE_URL https/);
    assert.match(r.text, /fix: put the server behind https/);
    const wrong = await cli(['doctor'], { ...env, TWILIO_AUTH_TOKEN: 'f'.repeat(32) });
    assert.match(wrong.text, /✘ twilio credentials/);
  });

  test('backfill imports history once: seen, new, updated', async () => {
    await inbox.stopServer(); // no callbacks reach us: only the backfill can find these
    for (let i = 0; i < 3; i++) await inbox.local.simulateExternalSend({ to: `whatsapp:+57320000000${i}`, body: `histórico ${i}` });
    await inbox.local.idle();
    const since = new Date(Date.now() - 86400_000).toISOString().slice(0, 10);
    const first = await cli(['backfill', '--since', since], env);
    assert.equal(first.code, 0, first.text);
    assert.match(first.text, /new 3/);
    const second = await cli(['backfill', '--since', since, '--restart'], env);
    assert.match(second.text, /new 0, updated 0/);
    const { rows } = await inbox.db.query<{ n: string }>("SELECT count(*) AS n FROM messages WHERE body LIKE 'histórico %'");
    assert.equal(Number(rows[0]!.n), 3);
    assert.equal((await cli(['backfill'], env)).code, 1, '--since is required');
    await inbox.restartServer();
  });
});

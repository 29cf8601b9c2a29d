import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../src/cli/main.ts';
import { LOCK_FILE } from '../src/db/data-dir-lock.ts';
import { openPglite, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { databaseKinds, POSTGRES_ADMIN_URL } from './support/databases.ts';
import { OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';
import { deadPid } from './support/pids.ts';

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const lines: string[] = [];
  const code = await runCli(args, (l) => lines.push(l), env);
  return { code, text: lines.join('\n'), lines };
}

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Stands in for a running wa-inbox: /api/health answers 200 and the status callback route 405. */
async function fakeServer(): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/api/health' ? 200 : req.url === '/api/whatsapp/status' ? 405 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, port };
}

const TWILIO_VARS = { TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'f'.repeat(32), TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886' };

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
    const bad = await cli(['users', 'add', '--email', 'x@y.example', '--name', 'X', '--password', 'short'], env);
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

describe('wa-inbox while the server holds the PGlite folder', () => {
  const dir = mkdtempSync(`${tmpdir()}/wa-cli-lock-`);
  const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
  const add = ['users', 'add', '--email', 'eva@clinica.test', '--name', 'Eva', '--password', 'secreto-123'];
  let server: Database | null = null;
  let health: Awaited<ReturnType<typeof fakeServer>>;
  before(async () => {
    server = await openPglite(dir); // the running server, in this process
    await migrate(server);
    health = await fakeServer();
  });
  after(async () => {
    await server?.close();
    health.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('users add refuses in one line, in both languages, and writes nothing', async () => {
    const r = await cli(add, env);
    assert.equal(r.code, 1);
    assert.equal(r.lines.length, 1, r.text);
    assert.match(r.text, new RegExp(`the server is running on ${dir} \\(pid ${process.pid}\\): stop it first, or add users from the Usuarios page`));
    const es = await cli(add, { ...env, LANG: 'es_CO.UTF-8' });
    assert.match(es.text, new RegExp(`el servidor está funcionando sobre ${dir} \\(pid ${process.pid}\\): deténgalo primero, o agregue usuarios desde la página Usuarios`));
    assert.match((await cli(['users', 'list'], env)).text, /stop it first, or do it from the Usuarios page/);
    const { rows } = await server!.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE email = 'eva@clinica.test'");
    assert.equal(rows[0]!.n, 0);
  });

  test('doctor does not open the folder: it says who holds it and asks that server; demo mode is information, exit 0', async () => {
    const r = await cli(['doctor'], { ...env, PORT: String(health.port), BASE_URL: `http://localhost:${health.port}` });
    assert.equal(r.code, 0, r.text);
    assert.doesNotMatch(r.text, /✘/);
    assert.match(r.text, new RegExp(`ℹ database: in use by the running server \\(pid ${process.pid}\\)`));
    assert.match(r.text, new RegExp(`✔ running server: ${health.url}/api/health answers`));
    assert.match(r.text, /ℹ twilio variables: not set: demo mode/);
    assert.match(r.text, /ℹ BASE_URL https: .*http is fine in demo mode/);
    assert.match(r.text, /✔ public URL/);
    const es = await cli(['doctor'], { ...env, WA_LANG: 'es', PORT: String(health.port) });
    assert.match(es.text, new RegExp(`ℹ base de datos: en uso por el servidor en marcha \\(pid ${process.pid}\\)`));
    await server!.query('SELECT 1'); // the holder is undisturbed
  });

  test('once the server closes the folder the CLI works; a lock left by a dead process is taken over', async () => {
    await server!.close();
    server = null;
    assert.equal(existsSync(`${dir}/${LOCK_FILE}`), false, 'closing releases the lock');
    const pid = deadPid();
    writeFileSync(`${dir}/${LOCK_FILE}`, JSON.stringify({ pid, startedAt: new Date().toISOString(), processStart: null }));
    const r = await cli(add, env);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /added eva@clinica\.test \(agent\)/);
    assert.equal(existsSync(`${dir}/${LOCK_FILE}`), false, 'the CLI released the lock when done');
    assert.match((await cli(['users', 'list'], env)).text, /eva@clinica\.test\tEva\tagent/);
  });
});

describe('wa-inbox input, help and language (no database opened)', () => {
  const dir = `${tmpdir()}/wa-cli-never-${process.pid}`;
  const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };

  test('users add refuses an email the API would refuse, before opening anything', async () => {
    const r = await cli(['users', 'add', '--email', 'notanemail', '--name', 'X', '--password', 'secreto-123'], env);
    assert.equal(r.code, 1);
    assert.match(r.text, /--email: 'notanemail' is not an email address/);
    assert.match((await cli(['users', 'add', '--email', 'notanemail', '--name', 'X', '--password', 'secreto-123'], { ...env, WA_LANG: 'es' })).text, /no es un correo electrónico/);
    assert.match((await cli(['users', 'list', '--frob'], env)).text, /unknown option '--frob'/);
    assert.equal(existsSync(dir), false);
  });

  test('each users subcommand has its own help; an unknown one is named, with the users help, exit 1', async () => {
    const helps = new Set<string>();
    for (const sub of ['add', 'list', 'disable', 'reset-password']) {
      const r = await cli(['users', sub, '--help'], env);
      assert.equal(r.code, 0);
      assert.match(r.text, new RegExp(`^wa-inbox users ${sub}`));
      helps.add(r.text);
    }
    assert.equal(helps.size, 4);
    const unknown = await cli(['users', 'frob'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.text, /unknown subcommand 'frob'/);
    assert.match(unknown.text, /Subcommands:\n  add/);
    assert.equal((await cli(['users'], env)).code, 1);
    assert.equal(existsSync(dir), false);
  });

  test('output follows WA_LANG, then LC_ALL/LANG (es* is Spanish)', async () => {
    const spanish = /Subcomandos:/;
    assert.doesNotMatch((await cli(['users', '--help'], env)).text, spanish);
    assert.match((await cli(['users', '--help'], { ...env, WA_LANG: 'es' })).text, spanish);
    assert.match((await cli(['users', '--help'], { ...env, LANG: 'es_CO.UTF-8' })).text, spanish);
    assert.match((await cli(['users', '--help'], { ...env, LC_ALL: 'es_ES.UTF-8', LANG: 'en_US.UTF-8' })).text, spanish);
    assert.doesNotMatch((await cli(['users', '--help'], { ...env, WA_LANG: 'en', LANG: 'es_CO.UTF-8' })).text, spanish);
    assert.match((await cli(['frobnicate'], { ...env, LANG: 'es' })).text, /Comando desconocido 'frobnicate'/);
    assert.match((await cli(['users', 'frob'], { ...env, LANG: 'es' })).text, /subcomando desconocido 'frob'/);
    assert.match((await cli(['backfill', '--help'], { ...env, LANG: 'es' })).text, /Importa cada mensaje/);
  });

  test('doctor names the cause: PostgreSQL refusing connections, Twilio out of reach (not the credentials)', async () => {
    const [dbPort, twilioPort, webPort] = [await closedPort(), await closedPort(), await closedPort()];
    const r = await cli(['doctor'], {
      ...TWILIO_VARS, DATABASE_URL: `postgres://wa:secret-pw@127.0.0.1:${dbPort}/inbox`, TWILIO_API_URL: `http://127.0.0.1:${twilioPort}`,
      BASE_URL: `http://127.0.0.1:${webPort}`, LOG_LEVEL: 'silent',
    });
    assert.equal(r.code, 1);
    assert.match(r.text, new RegExp(`✘ database: PostgreSQL refuses connections at 127.0.0.1:${dbPort} \\(ECONNREFUSED\\)`));
    assert.match(r.text, /fix: start PostgreSQL, or correct the host and port in DATABASE_URL/);
    assert.doesNotMatch(r.text, /secret-pw/);
    assert.match(r.text, /✘ twilio connection: cannot reach Twilio \(a network problem, not the credentials\)/);
    assert.match(r.text, new RegExp(`fix: check this machine's DNS and internet access to 127.0.0.1:${twilioPort}`));
    assert.doesNotMatch(r.text, /TWILIO_AUTH_TOKEN/);
    assert.match(r.text, /✘ BASE_URL https/, 'with real credentials http still fails');
    assert.match(r.text, /✘ public URL: .*ECONNREFUSED/);
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
    assert.match(wrong.text, /✘ twilio credentials: Twilio refused the credentials/);
    assert.match(wrong.text, /fix: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
    assert.doesNotMatch(wrong.text, /network/);
  });

  test('doctor names the cause: a database that does not exist (3D000), a role PostgreSQL does not accept (28000)', async () => {
    const missing = Object.assign(new URL(POSTGRES_ADMIN_URL), { pathname: '/wa_no_such_db' }).toString();
    const r = await cli(['doctor'], { ...env, DATABASE_URL: missing });
    assert.match(r.text, /✘ database: database "wa_no_such_db" does not exist on .* \(3D000\)/);
    assert.match(r.text, /fix: create it \(createdb wa_no_such_db/);
    const es = await cli(['doctor'], { ...env, DATABASE_URL: missing, WA_LANG: 'es' });
    assert.match(es.text, /✘ base de datos: la base de datos "wa_no_such_db" no existe/);
    const role = Object.assign(new URL(POSTGRES_ADMIN_URL), { username: 'wa_no_such_role' }).toString();
    const noRole = await cli(['doctor'], { ...env, DATABASE_URL: role });
    assert.match(noRole.text, /✘ database: PostgreSQL (does not accept user wa_no_such_role|refused the password of user wa_no_such_role)/);
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

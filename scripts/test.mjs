// `npm test`: every test, on real PostgreSQL and on PGlite, plus the browser tests in Chromium and
// the production box's (nginx in front, the systemd unit checked).
// Without PostgreSQL, Chromium or nginx (a laptop) it runs what it can and says what it skipped;
// with CI=true nothing may be skipped: a missing service fails the run.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildPanel } from './build-panel.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ci = process.env.CI === 'true' || process.env.CI === '1';
const skipped = [];

function reachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const s = connect(port, host);
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const pgUrl = new URL(process.env.WA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const redisUrl = new URL(process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const nginx = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const installed = (...command) => spawnSync(command[0], command.slice(1), { stdio: 'ignore' }).status === 0;

const env = { ...process.env };
const databases = ['pglite'];
if (await reachable(pgUrl.hostname, Number(pgUrl.port || 5432))) databases.unshift('postgres');
else skipped.push(`PostgreSQL tests (nothing answers at ${pgUrl.host})`);
env.WA_TEST_DATABASES = env.WA_TEST_DATABASES ?? databases.join(',');

if (!(await reachable(redisUrl.hostname, Number(redisUrl.port || 6379)))) {
  env.WA_SKIP_REDIS = '1';
  skipped.push(`Redis tests (nothing answers at ${redisUrl.host})`);
}

const browser = existsSync(chromium);
if (!browser) {
  env.WA_SKIP_BROWSER = '1';
  skipped.push(`browser tests (no Chromium at ${chromium}; apt-get install chromium)`);
}

// The reverse-proxy test runs deploy/nginx.conf in nginx, with a certificate openssl makes.
if (!existsSync(nginx) || !installed('openssl', 'version')) {
  env.WA_SKIP_NGINX = '1';
  skipped.push(`reverse-proxy tests (no nginx at ${nginx}, or no openssl; apt-get install nginx-light openssl)`);
}
if (!installed('systemd-analyze', '--version')) {
  env.WA_SKIP_SYSTEMD_ANALYZE = '1';
  skipped.push('systemd unit checks (no systemd-analyze; apt-get install systemd)');
}

if (ci && skipped.length) {
  console.error(`CI=true and these cannot run:\n  - ${skipped.join('\n  - ')}`);
  process.exit(1);
}

if (browser) {
  // The browser tests drive the built panel.
  buildPanel();
}

const files = ['test', 'test/browser']
  .filter((dir) => existsSync(`${root}${dir}`))
  .flatMap((dir) => readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `${dir}/${f}`));
const only = process.argv.slice(2);
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...(only.length ? only : files)], {
  stdio: 'inherit', cwd: root, env,
});
if (skipped.length) console.log(`\nSkipped (not available here):\n  - ${skipped.join('\n  - ')}`);
process.exit(run.status ?? 1);

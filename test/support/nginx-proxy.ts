import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
/** The reverse-proxy example operators copy; the test runs this file, not a copy of it. */
export const SHIPPED_NGINX_CONF = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

export interface NginxProxy {
  /** https://127.0.0.1:PORT, the public origin (BASE_URL) behind which the app runs. */
  readonly url: string;
  /** http://127.0.0.1:PORT, the plain-http server that redirects to https. */
  readonly httpUrl: string;
  /** The self-signed certificate (PEM) nginx presents: the one CA clients of this test accept. */
  readonly certificate: string;
  /** The configuration nginx runs: the shipped file with ports, addresses and certificate swapped. */
  readonly siteConfig: string;
  /** nginx's error log so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * deploy/nginx.conf as the test runs it: the app's port, unprivileged listen ports on 127.0.0.1
 * (no IPv6 listener: a test machine may have none) and a certificate of our own. Every swapped
 * line must be found exactly as shipped, so a change to the shipped file's shape fails here
 * instead of silently testing something else.
 */
export function deriveSiteConfig(shipped: string, o: { appPort: number; tlsPort: number; httpPort: number; certificate: string; key: string }): string {
  const swaps: [string, string][] = [
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${o.appPort};`],
    ['listen 80;', `listen 127.0.0.1:${o.httpPort};`],
    ['listen [::]:80;', ''],
    ['listen 443 ssl;', `listen 127.0.0.1:${o.tlsPort} ssl;`],
    ['listen [::]:443 ssl;', ''],
    ['ssl_certificate     /etc/letsencrypt/live/inbox.example.com/fullchain.pem;', `ssl_certificate     ${o.certificate};`],
    ['ssl_certificate_key /etc/letsencrypt/live/inbox.example.com/privkey.pem;', `ssl_certificate_key ${o.key};`],
  ];
  let text = shipped;
  for (const [from, to] of swaps) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`deploy/nginx.conf: expected "${from}" once, found it ${count} times`);
    text = text.replace(from, to);
  }
  return text;
}

/** A self-signed certificate for 127.0.0.1 (node's crypto cannot write X.509 certificates). */
function makeCertificate(dir: string): { certificate: string; key: string } {
  const certificate = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', certificate,
  ], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { certificate, key };
}

/**
 * The temp folders nginx was built with (client body, proxy, fastcgi…), moved into `dir`: nginx
 * creates them all at start, and a user who is not root cannot under /var/lib/nginx.
 */
function tempPaths(dir: string): string {
  const built = spawnSync(NGINX, ['-V'], { encoding: 'utf8' }).stderr;
  return [...built.matchAll(/--http-([a-z-]+)-temp-path=/g)]
    .map(([, name]) => `    ${name!.replace(/-/g, '_')}_temp_path ${join(dir, name!)};`)
    .join('\n');
}

const isOpen = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

/** nginx in the foreground, as a child of the test, with every file it writes in a temp folder. */
export async function startNginxProxy(o: { appPort: number; tlsPort: number; httpPort: number }): Promise<NginxProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-nginx-'));
  // Run as root, nginx's workers drop to `nobody`, which must reach the temp folders in here.
  chmodSync(dir, 0o755);
  const cert = makeCertificate(dir);
  const siteConfig = deriveSiteConfig(readFileSync(SHIPPED_NGINX_CONF, 'utf8'), { ...o, ...cert });
  writeFileSync(join(dir, 'wa-inbox.conf'), siteConfig);
  const errorLog = join(dir, 'error.log');
  const main = join(dir, 'nginx.conf');
  writeFileSync(main, [
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${errorLog} info;`,
    'events { worker_connections 256; }',
    'http {',
    `    access_log ${join(dir, 'access.log')};`,
    tempPaths(dir),
    `    include ${join(dir, 'wa-inbox.conf')};`,
    '}',
    '',
  ].join('\n'));

  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', main, '-e', errorLog, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const readLog = () => { try { return readFileSync(errorLog, 'utf8'); } catch { return ''; } };

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await exit;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (!(await isOpen(o.tlsPort))) {
    if (exited || Date.now() > deadline) {
      const why = `nginx did not start:\n${out}\n${readLog()}`;
      await stop();
      throw new Error(why);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${o.tlsPort}`,
    httpUrl: `http://127.0.0.1:${o.httpPort}`,
    certificate: readFileSync(cert.certificate, 'utf8'),
    siteConfig,
    errorLog: readLog,
    stop,
  };
}

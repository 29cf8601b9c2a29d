// Files sent from the panel (figures, not assertions): one 5 MB PDF end to end (upload, kept in
// PostgreSQL, downloaded by the local Twilio from the public link, delivered through the
// callbacks), then 10 sent at once, with the server's peak resident memory while they are sent.
import { randomBytes } from 'node:crypto';
import { startLocalTwilio } from '../src/twilio/local/server.ts';
import { fmt, freshDatabase, startServerProcess } from './support.ts';

const OUR_NUMBER = 'whatsapp:+14155238886';
const ADMIN = { email: 'bench@example.com', password: 'bench-password-1' };
const AT_ONCE = 10;
const MB = 1024 * 1024;
const hex = (n: number) => randomBytes(n).toString('hex');
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(5 * MB - 9)]);

async function main() {
  const { db, url } = await freshDatabase('wa_bench_media');

  const port = 19080 + Math.floor(Math.random() * 900);
  const baseUrl = `http://127.0.0.1:${port}`;
  const accountSid = 'AC' + hex(16);
  const authToken = hex(16);
  const local = await startLocalTwilio({
    accountSid, authToken, port: 0, whatsappFrom: OUR_NUMBER, lifecycle: { delayMs: 10, statuses: ['sent', 'delivered'] },
    statusCallbackUrl: `${baseUrl}/api/whatsapp/status`, inboundUrl: `${baseUrl}/api/whatsapp/incoming`,
  });
  const server = await startServerProcess({
    DATABASE_URL: url, BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
    TWILIO_API_URL: local.url, LOG_LEVEL: 'warn', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SESSION_SECRET: 'bench-secret-0123456789', RECONCILE_INTERVAL: '0',
  }, port);
  try {
    const login = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    await local.simulateInbound({ from: 'whatsapp:+573150000001', body: 'Necesito el certificado', profileName: 'Bench' });
    const { rows } = await db.query<{ id: string }>('SELECT id FROM conversations');
    const conversationId = rows[0]!.id;

    /** Resolves with how long the send took to answer 201, once the message is delivered. */
    const sendOne = async (): Promise<number> => {
      const started = performance.now();
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(pdf())], { type: 'application/pdf' }), 'certificado.pdf');
      const res = await fetch(`${baseUrl}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken }, body: form });
      if (res.status !== 201) throw new Error(`send answered ${res.status}: ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      const answeredMs = performance.now() - started;
      for (;;) {
        const r = await db.query<{ status: string }>('SELECT status FROM messages WHERE id = $1', [id]);
        if (r.rows[0]!.status === 'delivered') return answeredMs;
        if (r.rows[0]!.status === 'failed') throw new Error('the send failed');
        await new Promise((x) => setTimeout(x, 5));
      }
    };

    await sendOne(); // warm-up: first requests compile the routes' code paths
    const startPeak = server.peakRssMb();
    const t0 = performance.now();
    const answeredMs = await sendOne();
    const one = performance.now() - t0;
    // The peak since start (the server's own start-up may set it) is set aside: what counts is the
    // peak while the 10 files are received, kept and downloaded.
    const before = server.rssMb();
    server.resetPeakRss();
    const t1 = performance.now();
    await Promise.all(Array.from({ length: AT_ONCE }, sendOne));
    const all = performance.now() - t1;
    console.log('## Files sent from the panel');
    console.log(`one 5 MB PDF, upload to delivered (Twilio downloads it from the public link): ${fmt(one, 0)} ms (the send answered 201 after ${fmt(answeredMs, 0)} ms)`);
    console.log(`${AT_ONCE} at once: all delivered in ${fmt(all, 0)} ms; server peak RSS ${fmt(server.peakRssMb(), 0)} MB while they were sent (${fmt(before, 0)} MB just before; peak since start ${fmt(startPeak, 0)} MB)`);
  } finally {
    await server.stop();
    await local.close();
    await db.close();
  }
}

await main();

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { ApiError, ConversationDto, MessageDto } from '../src/contract/api.ts';
import { conversationRepository } from '../src/db/conversation-repository.ts';
import { databaseKinds } from './support/databases.ts';
import { customerWrites as customerWritesFirst, startTestInbox, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Small files of each kind, as their first bytes make them; the rest is random so every upload differs.
const PNG_PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const pdf = (size = 20_000) => Buffer.concat([Buffer.from('%PDF-1.4\n%âãÏÓ\n'), randomBytes(size)]);
const jpeg = (size = 20_000) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]), randomBytes(size)]);
const png = () => Buffer.concat([PNG_PIXEL, randomBytes(5_000)]);
const webp = () => {
  const body = Buffer.concat([Buffer.from('WEBPVP8 '), randomBytes(2_000)]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF'), size, body]);
};
const elf = () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(8), Buffer.from([0x02, 0x00, 0x3e, 0x00]), randomBytes(4_000)]);
const windowsExe = () => Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(4_000)]);

for (const kind of databaseKinds()) {
  describe(`sending files from the panel (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    let phoneSeq = 0;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 10, statuses: ['sent', 'delivered'] } });
      session = await inbox.login();
    });
    after(() => inbox.close());

    const customerWrites = () => customerWritesFirst(inbox, session, `+5731700000${String(++phoneSeq).padStart(2, '0')}`, { body: 'Necesito el certificado de aptitud laboral', profileName: 'Paciente' });

    async function sendFile(conversationId: string, file: Buffer, type: string, name: string, o: { caption?: string; headers?: Record<string, string> } = {}) {
      const form = new FormData();
      if (o.caption !== undefined) form.append('body', o.caption);
      form.append('file', new Blob([new Uint8Array(file)], { type }), name);
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: o.headers ?? session.headers, body: form });
      return { status: res.status, json: (await res.json()) as unknown };
    }

    const twilioCreates = () => inbox.local.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json')).length;
    const storedFiles = async (conversationId: string) =>
      (await inbox.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outgoing_media o JOIN messages m ON m.id = o.message_id WHERE m.conversation_id = $1', [conversationId])).rows[0]!.n;
    const messagesIn = async (conversationId: string) =>
      (await inbox.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND direction = 'outbound'`, [conversationId])).rows[0]!.n;
    const publicUrlOf = (sid: string) => inbox.local.messages().find((x) => x.sid === sid)!.media[0]!.sourceUrl!;

    async function assertRefused(c: ConversationDto, answer: { status: number; json: unknown }, status: number, code: string) {
      assert.equal(answer.status, status, JSON.stringify(answer.json));
      const { error } = answer.json as ApiError;
      assert.equal(error.code, code);
      assert.ok(error.message.length > 10 && error.messageEs.length > 10, 'a reason in English and Spanish');
      assert.equal(await messagesIn(c.id), 0, 'no message was written');
      assert.equal(await storedFiles(c.id), 0, 'no file was kept');
    }

    for (const sample of [
      { name: 'certificado-aptitud.pdf', type: 'application/pdf', bytes: pdf(), caption: 'Su certificado de aptitud laboral' },
      { name: 'foto.jpg', type: 'image/jpeg', bytes: jpeg(), caption: undefined },
      { name: 'radiografía.png', type: 'image/png', bytes: png(), caption: 'Resultado' },
    ]) {
      test(`${sample.type}: Twilio downloads the same bytes from the public link without a session and the message comes back delivered`, async () => {
        const c = await customerWrites();
        const { status, json } = await sendFile(c.id, sample.bytes, sample.type, sample.name, { caption: sample.caption });
        assert.equal(status, 201, JSON.stringify(json));
        const m = json as MessageDto;
        assert.equal(m.body, sample.caption ?? null);
        assert.deepEqual(m.media, [{ url: `/api/media/${m.id}/0`, contentType: sample.type, filename: sample.name, size: sample.bytes.length }]);
        assert.ok(m.sid?.startsWith('MM'), 'Twilio took it as a media message');

        const delivered = await waitFor(async () => {
          const { rows } = await inbox.db.query<{ status: string; media: unknown; delivered_at: Date | null }>('SELECT status, media, delivered_at FROM messages WHERE id = $1', [m.id]);
          return rows[0]!.delivered_at ? rows[0]! : undefined;
        }, 'delivered through the callbacks');
        assert.equal(delivered.status, 'delivered');
        assert.deepEqual(delivered.media, [{ url: null, contentType: sample.type, stored: true, filename: sample.name, size: sample.bytes.length }]);

        const atTwilio = inbox.local.messages().find((x) => x.sid === m.sid)!;
        assert.equal(atTwilio.body, sample.caption ?? '');
        assert.equal(atTwilio.media.length, 1);
        assert.equal(sha256(atTwilio.media[0]!.bytes), sha256(sample.bytes), 'Twilio downloaded exactly the file');
        assert.equal(atTwilio.media[0]!.contentType, sample.type);
        const link = publicUrlOf(m.sid!);
        assert.match(link, new RegExp(`^${inbox.baseUrl}/media/out/[A-Za-z0-9_-]{32}$`), 'a random token of 24 bytes');
        const { rows: kept } = await inbox.db.query<{ sha256: string; token_hash: string }>('SELECT sha256, token_hash FROM outgoing_media WHERE message_id = $1', [m.id]);
        assert.equal(kept[0]!.sha256, sha256(sample.bytes));
        assert.ok(!kept[0]!.token_hash.includes(link.split('/').pop()!), 'only a hash of the token is stored');

        // The public link, without a session.
        const open = await fetch(link);
        assert.equal(open.status, 200);
        assert.equal(open.headers.get('content-type'), sample.type);
        assert.equal(open.headers.get('x-content-type-options'), 'nosniff');
        assert.match(open.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);
        assert.match(open.headers.get('content-disposition') ?? '', /filename\*=UTF-8''/);
        assert.equal(sha256(Buffer.from(await open.arrayBuffer())), sha256(sample.bytes));

        // The panel's route: the same bytes with a session, 401 without.
        const withSession = await fetch(inbox.baseUrl + m.media[0]!.url!, { headers: { cookie: session.cookie } });
        assert.equal(withSession.status, 200);
        assert.equal(sha256(Buffer.from(await withSession.arrayBuffer())), sha256(sample.bytes));
        assert.equal((await fetch(inbox.baseUrl + m.media[0]!.url!)).status, 401);
      });
    }

    test('a wrong token and an expired one are both 404, and no other route opens without a session', async () => {
      const c = await customerWrites();
      const { json } = await sendFile(c.id, pdf(), 'application/pdf', 'orden.pdf');
      const m = json as MessageDto;
      await waitFor(() => inbox.local.messages().find((x) => x.sid === m.sid)?.status === 'delivered', 'delivered at Twilio');
      const link = publicUrlOf(m.sid!);
      assert.equal((await fetch(link)).status, 200);
      const token = link.split('/').pop()!;
      const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      for (const path of [`/media/out/${wrong}`, '/media/out/x', `/media/out/${token}x`, `/media/out/${token}/..`, '/media/out/', '/media/out']) {
        const res = await fetch(inbox.baseUrl + path);
        assert.notEqual(res.status, 200, `${path} must not serve the file`);
        assert.ok(!(await res.text()).includes('%PDF'), `${path} must not serve the file`);
      }
      assert.equal((await fetch(`${inbox.baseUrl}/media/out/${wrong}`)).status, 404);

      await inbox.db.query(`UPDATE outgoing_media SET expires_at = now() - interval '1 minute' WHERE message_id = $1`, [m.id]);
      const expired = await fetch(link);
      assert.equal(expired.status, 404);
      const unknown = await fetch(`${inbox.baseUrl}/media/out/${wrong}`);
      assert.deepEqual(await expired.json(), await unknown.json(), 'expired and unknown answer alike');
      // The session-checked route still serves the panel.
      assert.equal((await fetch(`${inbox.baseUrl}/api/media/${m.id}/0`, { headers: { cookie: session.cookie } })).status, 200);
    });

    test('the local Twilio fails a send whose media link cannot be downloaded: 63019 for a 404, 11200 when unreachable', async () => {
      const c = await customerWrites();
      const wrongLink = `${inbox.baseUrl}/media/out/${randomBytes(24).toString('base64url')}`;
      const deadLink = 'http://127.0.0.1:9/media/out/nadie';
      for (const [link, code] of [[wrongLink, 63019], [deadLink, 11200]] as const) {
        const sent = await inbox.ctx.twilio.send({ to: `whatsapp:${c.contact.phone}`, body: 'Adjunto', mediaUrl: [link], statusCallback: `${inbox.baseUrl}/api/whatsapp/status` });
        const failed = await waitFor(() => {
          const x = inbox.local.messages().find((y) => y.sid === sent.sid);
          return x?.status === 'failed' ? x : undefined;
        }, 'the local Twilio to fail it');
        assert.equal(failed.errorCode, code);
      }
    });

    test('refused before anything is sent: a renamed executable, a WebP, a 6 MB photo', async () => {
      const before = twilioCreates();
      for (const [bytes, name] of [[elf(), 'informe.pdf'], [windowsExe(), 'informe.pdf']] as const) {
        const c = await customerWrites();
        const answer = await sendFile(c.id, bytes, 'application/pdf', name);
        await assertRefused(c, answer, 400, 'unsupported_media');
        assert.match((answer.json as ApiError).error.messageEs, /no se puede enviar por WhatsApp/);
      }
      const c1 = await customerWrites();
      const w = await sendFile(c1.id, webp(), 'image/webp', 'foto.webp');
      await assertRefused(c1, w, 400, 'unsupported_media');
      assert.equal((w.json as ApiError).error.messageEs, 'WhatsApp no acepta imágenes WebP; envíela como JPG o PNG');
      const c2 = await customerWrites();
      const big = await sendFile(c2.id, jpeg(6 * MB), 'image/jpeg', 'foto.jpg');
      await assertRefused(c2, big, 413, 'media_too_large');
      assert.match((big.json as ApiError).error.messageEs, /5 MB/);
      assert.equal(twilioCreates(), before, 'Twilio was never called');
    });

    test('a 17 MB PDF is refused with 413 as soon as it passes 16 MB: the rest is never read', async () => {
      const c = await customerWrites();
      const before = twilioCreates();
      const boundary = 'b' + randomBytes(8).toString('hex');
      const url = new URL(`${inbox.baseUrl}/api/conversations/${c.id}/messages`);
      // Chunked (no Content-Length), and the last MB is held back: only a server that stops at the
      // cap answers at all.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(url, { method: 'POST', headers: { ...session.headers, 'content-type': `multipart/form-data; boundary=${boundary}` } });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => {
            resolve({ status: res.statusCode!, body });
            req.destroy();
          });
          res.on('error', reject);
        });
        req.on('error', () => {});
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="grande.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
        req.write(pdf(1000));
        for (let i = 0; i < 16; i++) req.write(randomBytes(MB));
        // 16 MB + ~1 KB written; 1 MB more and the closing boundary never come.
      });
      assert.equal(answer.status, 413);
      assert.equal((JSON.parse(answer.body) as ApiError).error.code, 'media_too_large');
      assert.equal(await messagesIn(c.id), 0);
      assert.equal(await storedFiles(c.id), 0);
      assert.equal(twilioCreates(), before);
    });

    test('a multipart body cut short or without a boundary is a 400, not a server error', async () => {
      const c = await customerWrites();
      const url = `${inbox.baseUrl}/api/conversations/${c.id}/messages`;
      const cut = await fetch(url, {
        method: 'POST', headers: { ...session.headers, 'content-type': 'multipart/form-data; boundary=xyz' },
        body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 sin final',
      });
      assert.equal(cut.status, 400, await cut.clone().text());
      assert.equal(((await cut.json()) as ApiError).error.code, 'validation');
      const noBoundary = await fetch(url, { method: 'POST', headers: { ...session.headers, 'content-type': 'multipart/form-data' }, body: 'x' });
      assert.ok(noBoundary.status >= 400 && noBoundary.status < 500, `got ${noBoundary.status}`);
      assert.equal(await messagesIn(c.id), 0);
    });

    test('outside the 24-hour window a file is refused with window_closed and nothing is kept', async () => {
      const id = await conversationRepository.ensureForPhone(inbox.db, '+573179999999');
      const before = twilioCreates();
      const answer = await sendFile(id, pdf(), 'application/pdf', 'certificado.pdf');
      assert.equal(answer.status, 409);
      assert.equal((answer.json as ApiError).error.code, 'window_closed');
      assert.equal((await inbox.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outgoing_media o JOIN messages m ON m.id = o.message_id WHERE m.conversation_id = $1', [id])).rows[0]!.n, 0);
      assert.equal(twilioCreates(), before);
    });

    test('plain text is taken only as valid UTF-8 the client called text/plain', async () => {
      const c = await customerWrites();
      const ok = await sendFile(c.id, Buffer.from('Indicaciones: ayuno de 8 horas.\n'), 'text/plain', 'indicaciones.txt');
      assert.equal(ok.status, 201, JSON.stringify(ok.json));
      assert.equal((ok.json as MessageDto).media[0]!.contentType, 'text/plain');
      const c2 = await customerWrites();
      await assertRefused(c2, await sendFile(c2.id, Buffer.from([0x41, 0x00, 0x42, 0xff]), 'text/plain', 'raro.txt'), 400, 'unsupported_media');
    });

    test('no CSRF token: 403; multipart on any other route: 415; the JSON send still works', async () => {
      const c = await customerWrites();
      const noCsrf = await sendFile(c.id, pdf(), 'application/pdf', 'a.pdf', { headers: { cookie: session.cookie } });
      assert.equal(noCsrf.status, 403);
      assert.equal(await messagesIn(c.id), 0);
      for (const [method, path] of [['POST', `/api/conversations/${c.id}/notes`], ['PATCH', `/api/conversations/${c.id}`], ['POST', '/api/conversations'], ['POST', `/api/conversations/${c.id}/read`]]) {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(pdf())], { type: "application/pdf" }), 'a.pdf');
        const res = await fetch(inbox.baseUrl + path!, { method, headers: session.headers, body: form });
        assert.equal(res.status, 415, `${method} ${path}`);
      }
      const json = await fetch(`${inbox.baseUrl}/api/conversations/${c.id}/messages`, {
        method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' }, body: JSON.stringify({ body: 'Adjunto su certificado' }),
      });
      assert.equal(json.status, 201);
      assert.deepEqual(((await json.json()) as MessageDto).media, []);
    });
  });
}

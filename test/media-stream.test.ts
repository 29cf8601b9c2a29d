import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { ApiError, ConversationDto, MessageDto } from '../src/contract/api.ts';
import { conversationRepository } from '../src/db/conversation-repository.ts';
import { migrate } from '../src/db/migrate.ts';
import { messageRepository } from '../src/db/message-repository.ts';
import { MEDIA_CHUNK_BYTES, outgoingMediaRepository } from '../src/db/outgoing-media-repository.ts';
import { userRepository } from '../src/db/user-repository.ts';
import { cleanUpOutgoingMedia, KEEP_BYTES_AFTER_EXPIRY_HOURS } from '../src/messages/media-cleanup.ts';
import { MAX_FILE_BYTES } from '../src/messages/outgoing-media.ts';
import { mediaTokenHash } from '../src/messages/send-message.ts';
import { storedFileStream } from '../src/messages/stored-file-stream.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { customerWrites as customerWritesFirst, skipTwoInstances, startTestInbox, twoInstances, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const PDF_HEAD = Buffer.from('%PDF-1.4\n%âãÏÓ\n');
const pdf = (size: number) => Buffer.concat([PDF_HEAD, randomBytes(size - PDF_HEAD.length)]);
const jpeg = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]), randomBytes(size - 12)]);
const elf = () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(8), Buffer.from([0x02, 0x00, 0x3e, 0x00]), randomBytes(4_000)]);

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

for (const kind of databaseKinds()) {
  describe(`sent files kept and served in chunks (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    let phoneSeq = 0;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false, lifecycle: { delayMs: 10, statuses: ['sent', 'delivered'] } });
      session = await inbox.login();
    });
    after(() => inbox.close());

    const customerWrites = () => customerWritesFirst(inbox, session, `+5731800000${String(++phoneSeq).padStart(2, '0')}`, { body: 'Necesito el certificado de aptitud laboral', profileName: 'Paciente' });

    async function sendFile(conversationId: string, file: Buffer, type: string, name: string, caption?: string) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(file)], { type }), name);
      if (caption !== undefined) form.append('body', caption);
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: session.headers, body: form });
      return { status: res.status, json: (await res.json()) as unknown };
    }

    const count = async (sql: string, params: unknown[] = []) => (await inbox.db.query<{ n: number }>(sql, params)).rows[0]!.n;
    /** Nothing of any upload left behind: every kept file belongs to a message. */
    async function assertNothingKeptBut(sentFiles: number) {
      assert.equal(await count('SELECT count(*)::int AS n FROM outgoing_media WHERE message_id IS NULL'), 0, 'no upload left without its message');
      assert.equal(await count('SELECT count(*)::int AS n FROM outgoing_media'), sentFiles, 'only the files sent');
      assert.equal(await count('SELECT count(*)::int AS n FROM outgoing_media_chunks c LEFT JOIN outgoing_media o ON o.id = c.media_id WHERE o.message_id IS NULL'), 0);
    }
    const sentFiles = () => count('SELECT count(*)::int AS n FROM outgoing_media WHERE message_id IS NOT NULL');
    const outbound = (conversationId: string) => count(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND direction = 'outbound'`, [conversationId]);

    test('a 16 MB file goes through byte for byte: kept in 256 KB chunks, downloaded whole and by ranges', async () => {
      const c = await customerWrites();
      const file = pdf(MAX_FILE_BYTES);
      const { status, json } = await sendFile(c.id, file, 'application/pdf', 'historia-clínica.pdf');
      assert.equal(status, 201, JSON.stringify(json));
      const m = json as MessageDto;
      assert.deepEqual(m.media, [{ url: `/api/media/${m.id}/0`, contentType: 'application/pdf', filename: 'historia-clínica.pdf', size: MAX_FILE_BYTES }]);

      const { rows: [kept] } = await inbox.db.query<{ id: string; size: number; sha256: string }>('SELECT id, size, sha256 FROM outgoing_media WHERE message_id = $1', [m.id]);
      assert.equal(kept!.size, MAX_FILE_BYTES);
      assert.equal(kept!.sha256, sha256(file), 'the hash computed while the upload streamed in');
      const { rows: chunks } = await inbox.db.query<{ n: number; len: number }>('SELECT n, length(bytes) AS len FROM outgoing_media_chunks WHERE media_id = $1 ORDER BY n', [kept!.id]);
      assert.equal(chunks.length, MAX_FILE_BYTES / MEDIA_CHUNK_BYTES);
      assert.ok(chunks.every((x, i) => x.n === i && x.len === MEDIA_CHUNK_BYTES), 'numbered from 0, each a full chunk');

      const atTwilio = await waitFor(() => inbox.local.messages().find((x) => x.sid === m.sid && x.media[0]?.bytes.length), 'Twilio to download it');
      assert.equal(sha256(atTwilio.media[0]!.bytes), sha256(file), 'Twilio downloaded exactly the file');
      const link = atTwilio.media[0]!.sourceUrl!;

      for (const [what, url, headers] of [['the public link', link, {}], ['the panel route', inbox.baseUrl + m.media[0]!.url!, { cookie: session.cookie }]] as const) {
        const whole = await fetch(url, { headers });
        assert.equal(whole.status, 200, what);
        assert.equal(whole.headers.get('content-length'), String(MAX_FILE_BYTES), `${what}: its length up front`);
        assert.equal(whole.headers.get('accept-ranges'), 'bytes', what);
        assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(file), `${what}: the same bytes`);

        // Across a chunk boundary, the last bytes, from an offset to the end, and past the end.
        const ranges: [string, number, number][] = [
          ['bytes=262000-600000', 262000, 600000],
          ['bytes=-1000', MAX_FILE_BYTES - 1000, MAX_FILE_BYTES - 1],
          [`bytes=${MAX_FILE_BYTES - MEDIA_CHUNK_BYTES - 5}-`, MAX_FILE_BYTES - MEDIA_CHUNK_BYTES - 5, MAX_FILE_BYTES - 1],
          ['bytes=0-0', 0, 0],
          [`bytes=100-${MAX_FILE_BYTES + 50}`, 100, MAX_FILE_BYTES - 1],
        ];
        for (const [range, start, end] of ranges) {
          const part = await fetch(url, { headers: { ...headers, range } });
          assert.equal(part.status, 206, `${what} ${range}`);
          assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${MAX_FILE_BYTES}`, `${what} ${range}`);
          assert.equal(part.headers.get('content-length'), String(end - start + 1), `${what} ${range}`);
          assert.ok(Buffer.from(await part.arrayBuffer()).equals(file.subarray(start, end + 1)), `${what} ${range}: the right bytes`);
        }
        const past = await fetch(url, { headers: { ...headers, range: `bytes=${MAX_FILE_BYTES}-` } });
        assert.equal(past.status, 416, what);
        assert.equal(past.headers.get('content-range'), `bytes */${MAX_FILE_BYTES}`);
        assert.equal(((await past.json()) as ApiError).error.code, 'range_not_satisfiable');
        const head = await fetch(url, { method: 'HEAD', headers });
        assert.equal(head.status, 200, `${what}: HEAD`);
        assert.equal(head.headers.get('content-length'), String(MAX_FILE_BYTES), `${what}: HEAD`);
        const several = await fetch(url, { headers: { ...headers, range: 'bytes=0-1,5-9' } });
        assert.equal(several.status, 200, `${what}: several ranges get the whole file`);
        await several.body?.cancel();
      }
      await assertNothingKeptBut(await sentFiles());
    });

    test('too big: a 17 MB PDF and a 6 MB photo stop at their limit and leave nothing kept', async () => {
      const files = await sentFiles();
      const c = await customerWrites();
      const big = await sendFile(c.id, pdf(17 * MB), 'application/pdf', 'grande.pdf');
      assert.equal(big.status, 413);
      assert.equal((big.json as ApiError).error.code, 'media_too_large');
      const photo = await sendFile(c.id, jpeg(6 * MB), 'image/jpeg', 'foto.jpg');
      assert.equal(photo.status, 413);
      assert.match((photo.json as ApiError).error.messageEs, /5 MB/);
      assert.equal(await outbound(c.id), 0);
      await assertNothingKeptBut(files);
    });

    test('an upload cut off mid-stream is kept while it arrives and gone once the client leaves', async () => {
      const files = await sentFiles();
      const c = await customerWrites();
      const boundary = 'b' + randomBytes(8).toString('hex');
      const req = httpRequest(new URL(`${inbox.baseUrl}/api/conversations/${c.id}/messages`), {
        method: 'POST', headers: { ...session.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('error', () => {});
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="corte.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
      req.write(pdf(3 * MB));
      // Its chunks are written as they arrive, not at the end.
      await waitFor(async () => (await count('SELECT count(*)::int AS n FROM outgoing_media_chunks c JOIN outgoing_media o ON o.id = c.media_id WHERE o.message_id IS NULL')) >= 8, 'the first chunks kept');
      req.destroy();
      await waitFor(async () => (await count('SELECT count(*)::int AS n FROM outgoing_media WHERE message_id IS NULL')) === 0, 'the cut-off upload discarded');
      assert.equal(await outbound(c.id), 0);
      await assertNothingKeptBut(files);
    });

    test('refused after some chunks were kept (text that stops being UTF-8, a bad caption, a closed window) or at once (an executable): nothing stays', async () => {
      const files = await sentFiles();
      const c = await customerWrites();
      const lines = Buffer.from('Indicaciones: ayuno de 8 horas. Traer documento de identidad.\n'.repeat(12_000));
      const broken = await sendFile(c.id, Buffer.concat([lines, Buffer.from([0xff, 0x41])]), 'text/plain', 'indicaciones.txt');
      assert.equal(broken.status, 400);
      assert.equal((broken.json as ApiError).error.code, 'unsupported_media');
      const exe = await sendFile(c.id, elf(), 'application/pdf', 'informe.pdf');
      assert.equal(exe.status, 400);
      const caption = await sendFile(c.id, pdf(MB), 'application/pdf', 'a.pdf', 'x'.repeat(5000));
      assert.equal(caption.status, 400, JSON.stringify(caption.json));
      const closed = await conversationRepository.ensureForPhone(inbox.db, '+573189999999');
      const late = await sendFile(closed, pdf(MB), 'application/pdf', 'a.pdf');
      assert.equal(late.status, 409);
      const nowhere = await sendFile('00000000-0000-4000-8000-000000000000', pdf(MB), 'application/pdf', 'a.pdf');
      assert.equal(nowhere.status, 404);
      assert.equal(await outbound(c.id), 0);
      await assertNothingKeptBut(files);

      // Long text valid to the end, a character split across two chunks, is taken.
      const accents = Buffer.from('Señora Muñoz: resultados de laboratorio, ñandú, acción.\n'.repeat(10_000));
      assert.ok(accents.length > MEDIA_CHUNK_BYTES * 2);
      const ok = await sendFile(c.id, accents, 'text/plain', 'resultados.txt');
      assert.equal(ok.status, 201, JSON.stringify(ok.json));
      const served = await fetch(inbox.baseUrl + (ok.json as MessageDto).media[0]!.url!, { headers: { cookie: session.cookie } });
      assert.ok(Buffer.from(await served.arrayBuffer()).equals(accents));
    });

    test('the bytes of a file whose link expired long ago are removed; its name and size stay and the panel is told it is gone', async () => {
      const c = await customerWrites();
      const socket = await inbox.connectSocket(session.cookie);
      const updates: MessageDto[] = [];
      socket.on('message:updated', (m: MessageDto) => updates.push(m));
      assert.equal(await socket.emitWithAck('conversation:watch', c.id), true);
      const old = (await sendFile(c.id, pdf(600_000), 'application/pdf', 'certificado.pdf')).json as MessageDto;
      const recent = (await sendFile(c.id, pdf(10_000), 'application/pdf', 'orden.pdf')).json as MessageDto;
      const link = (await waitFor(() => inbox.local.messages().find((x) => x.sid === old.sid && x.media[0]?.bytes.length), 'Twilio to download it')).media[0]!.sourceUrl!;
      // Expired, but within the time its bytes are kept: still there.
      await inbox.db.query(`UPDATE outgoing_media SET expires_at = now() - make_interval(hours => $2) WHERE message_id = $1`, [old.id, KEEP_BYTES_AFTER_EXPIRY_HOURS - 1]);
      assert.equal((await cleanUpOutgoingMedia(inbox.ctx)).removed, 0);
      assert.equal((await fetch(inbox.baseUrl + old.media[0]!.url!, { headers: { cookie: session.cookie } })).status, 200);

      await inbox.db.query(`UPDATE outgoing_media SET expires_at = now() - make_interval(hours => $2) WHERE message_id = $1`, [old.id, KEEP_BYTES_AFTER_EXPIRY_HOURS + 1]);
      // An upload a stop cut off hours ago, and one arriving now.
      const user = (await inbox.db.query<{ id: string }>('SELECT id FROM users LIMIT 1')).rows[0]!.id;
      const abandoned = await outgoingMediaRepository.beginUpload(inbox.db, { contentType: 'application/pdf', filename: 'a.pdf', createdBy: user, firstChunk: randomBytes(1000) });
      await inbox.db.query(`UPDATE outgoing_media SET created_at = now() - interval '7 hours' WHERE id = $1`, [abandoned]);
      const arriving = await outgoingMediaRepository.beginUpload(inbox.db, { contentType: 'application/pdf', filename: 'b.pdf', createdBy: user, firstChunk: randomBytes(1000) });

      assert.deepEqual(await cleanUpOutgoingMedia(inbox.ctx), { removed: 1, abandoned: 1 });
      const { rows } = await inbox.db.query<{ message_id: string; size: number; filename: string; removed: boolean; chunks: number }>(
        `SELECT message_id, size, filename, bytes_removed_at IS NOT NULL AS removed, (SELECT count(*)::int FROM outgoing_media_chunks WHERE media_id = o.id) AS chunks
         FROM outgoing_media o WHERE message_id IN ($1, $2) ORDER BY filename`, [old.id, recent.id]);
      assert.deepEqual(rows, [
        { message_id: old.id, size: 600_000, filename: 'certificado.pdf', removed: true, chunks: 0 },
        { message_id: recent.id, size: 10_000, filename: 'orden.pdf', removed: false, chunks: 1 },
      ]);
      assert.deepEqual((await inbox.db.query('SELECT id FROM outgoing_media WHERE message_id IS NULL')).rows, [{ id: arriving }], 'only the abandoned upload went');
      await outgoingMediaRepository.discardUpload(inbox.db, arriving);

      // The chat shows what was sent, without a link; the panel heard of it.
      const listed = await fetch(`${inbox.baseUrl}/api/conversations/${c.id}/messages`, { headers: session.headers });
      const items = ((await listed.json()) as { items: MessageDto[] }).items;
      assert.deepEqual(items.find((m) => m.id === old.id)!.media, [{ url: null, contentType: 'application/pdf', filename: 'certificado.pdf', size: 600_000 }]);
      assert.deepEqual(items.find((m) => m.id === recent.id)!.media, recent.media);
      const heard = await waitFor(() => updates.find((m) => m.id === old.id && m.media[0]!.url === null), 'message:updated for the file removed');
      assert.equal(heard.media[0]!.filename, 'certificado.pdf');
      assert.ok(updates.slice(0, updates.indexOf(heard)).every((m) => m.id !== old.id || m.seq < heard.seq), 'newer than every earlier event of it');

      const gone = await fetch(inbox.baseUrl + old.media[0]!.url!, { headers: { cookie: session.cookie } });
      assert.equal(gone.status, 410);
      const { error } = (await gone.json()) as ApiError;
      assert.equal(error.code, 'media_removed');
      assert.match(error.messageEs, /ya no se conserva/);
      assert.equal((await fetch(link)).status, 404);
      assert.equal((await cleanUpOutgoingMedia(inbox.ctx)).removed, 0, 'each file once');
    });
  });

  test(`files kept whole before chunks (migration 010) are moved into chunks and served the same (${kind})`, async () => {
    const database = await openTestDatabase(kind, { empty: true });
    try {
      const db = database.db;
      await migrate(db, { before: '012' });
      const user = (await userRepository.insert(db, { email: 'a@clinica.test', name: 'Ana', role: 'admin', passwordHash: 'x' }))!;
      // Written as the schema before 012 has it (today's repositories speak a later one).
      const { rows: [conversation] } = await db.query<{ id: string }>(
        `WITH k AS (INSERT INTO contacts (phone) VALUES ('+573181234567') RETURNING id)
         INSERT INTO conversations (contact_id) SELECT id FROM k RETURNING id`,
      );
      const conversationId = conversation!.id;
      const files = [randomBytes(600_000), randomBytes(2 * MEDIA_CHUNK_BYTES), Buffer.from('%PDF-1.4\n')];
      const ids: string[] = [];
      for (const [i, bytes] of files.entries()) {
        const m = await messageRepository.insertPanelMessage(db, {
          conversationId, body: null, contentSid: null, contentVariables: null, sentBy: user.id, businessAddress: null, messagingServiceSid: null,
          media: [{ url: null, contentType: 'application/pdf', stored: true, filename: `f${i}.pdf`, size: bytes.length }],
        });
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO outgoing_media (message_id, content_type, filename, size, sha256, token_hash, expires_at, created_by, bytes)
           VALUES ($1, 'application/pdf', $2, $3, $4, $5, now() + interval '1 day', $6, $7) RETURNING id`,
          [m.id, `f${i}.pdf`, bytes.length, sha256(bytes), mediaTokenHash(`token-${i}`), user.id, bytes],
        );
        ids.push(rows[0]!.id);
      }
      assert.deepEqual(await migrate(db, { before: '013' }), ['012.outgoing-media-chunks.sql']);
      for (const [i, bytes] of files.entries()) {
        const { rows } = await db.query<{ n: number; len: number }>('SELECT n, length(bytes) AS len FROM outgoing_media_chunks WHERE media_id = $1 ORDER BY n', [ids[i]]);
        const expected = Array.from({ length: Math.ceil(bytes.length / MEDIA_CHUNK_BYTES) }, (_, n) => ({ n, len: Math.min(MEDIA_CHUNK_BYTES, bytes.length - n * MEDIA_CHUNK_BYTES) }));
        assert.deepEqual(rows, expected, `file ${i}: full chunks, the last one shorter`);
        const file = await outgoingMediaRepository.findByTokenHash(db, mediaTokenHash(`token-${i}`));
        assert.deepEqual(file, { id: ids[i], contentType: 'application/pdf', filename: `f${i}.pdf`, size: bytes.length, bytesRemoved: false });
        assert.ok((await readAll(storedFileStream(db, file!.id, 0, file!.size - 1))).equals(bytes), `file ${i}: the same bytes`);
        const end = Math.min(bytes.length - 1, 5 + MEDIA_CHUNK_BYTES);
        assert.ok((await readAll(storedFileStream(db, file!.id, 5, end))).equals(bytes.subarray(5, end + 1)), `file ${i}: a range`);
      }
      const { rows: columns } = await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'outgoing_media' AND column_name = 'bytes'`);
      assert.equal(columns.length, 0, 'the whole-file column is gone');
    } finally {
      await database.close();
    }
  });
}

describe('a file sent through one instance is served by another (postgres)', { skip: skipTwoInstances }, () => {
  const instances = twoInstances('media-stream');

  test('instance B serves the chunks instance A kept: the public link and the panel route, whole and by range', async () => {
    const a = instances.a();
    const b = instances.b();
    const session = await a.login();
    await a.local.simulateInbound({ from: 'whatsapp:+573187770001', body: 'Hola', profileName: 'Dos' });
    const c = await waitFor(async () => {
      const res = await fetch(`${a.baseUrl}/api/conversations?q=573187770001`, { headers: session.headers });
      return ((await res.json()) as { items: ConversationDto[] }).items[0];
    }, 'the conversation');
    const file = pdf(MEDIA_CHUNK_BYTES * 3 + 123);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)], { type: 'application/pdf' }), 'orden.pdf');
    const sent = await fetch(`${a.baseUrl}/api/conversations/${c.id}/messages`, { method: 'POST', headers: session.headers, body: form });
    assert.equal(sent.status, 201);
    const m = (await sent.json()) as MessageDto;
    const link = (await waitFor(() => a.local.messages().find((x) => x.sid === m.sid && x.media[0]?.bytes.length), 'Twilio to download it')).media[0]!.sourceUrl!;
    const onB = link.replace(a.baseUrl, b.url);
    for (const [url, headers] of [[onB, {}], [b.url + m.media[0]!.url!, { cookie: session.cookie }]] as const) {
      const whole = await fetch(url, { headers });
      assert.equal(whole.status, 200, url);
      assert.ok(Buffer.from(await whole.arrayBuffer()).equals(file), url);
      const part = await fetch(url, { headers: { ...headers, range: `bytes=${MEDIA_CHUNK_BYTES - 10}-${MEDIA_CHUNK_BYTES * 2 + 10}` } });
      assert.equal(part.status, 206, url);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(file.subarray(MEDIA_CHUNK_BYTES - 10, MEDIA_CHUNK_BYTES * 2 + 11)), url);
    }
  });
});

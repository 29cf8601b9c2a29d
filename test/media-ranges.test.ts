import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ConversationDto, MessageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { startTestInbox, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

// A voice note's player reads the file's end to learn its length and seeks by byte ranges: both
// media routes answer ranges, or the panel's audio plays without a duration.
for (const kind of databaseKinds()) {
  describe(`byte ranges of media sent from the panel (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    let file: Buffer;
    let privateUrl: string;
    let publicUrl: string;

    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 10, statuses: ['sent', 'delivered'] } });
      session = await inbox.login();
      const phone = '+573170009901';
      await inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body: 'Mándeme el audio', profileName: 'Paciente Rangos' });
      const conversation = await waitFor(async () => {
        const res = await fetch(`${inbox.baseUrl}/api/conversations?q=${phone.slice(1)}`, { headers: session.headers });
        return ((await res.json()) as { items: ConversationDto[] }).items.find((c) => c.contact.phone === phone);
      }, 'the conversation');
      file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(10_000)]);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(file)], { type: 'application/pdf' }), 'indicaciones.pdf');
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversation.id}/messages`, { method: 'POST', headers: session.headers, body: form });
      assert.equal(res.status, 201);
      const message = (await res.json()) as MessageDto;
      privateUrl = inbox.baseUrl + message.media[0]!.url!;
      publicUrl = await waitFor(() => inbox.local.messages().find((m) => m.sid === message.sid)?.media[0]?.sourceUrl, 'Twilio fetched the file');
    });
    after(() => inbox?.close());

    const get = (url: string, range?: string, withSession = true) =>
      fetch(url, { headers: { ...(withSession ? { cookie: session.cookie } : {}), ...(range ? { range } : {}) } });

    test('whole, a range, the last bytes, from an offset: 200 and 206 with the right bytes', async () => {
      const whole = await get(privateUrl);
      assert.equal(whole.status, 200);
      assert.equal(whole.headers.get('accept-ranges'), 'bytes');
      assert.deepEqual(Buffer.from(await whole.arrayBuffer()), file);

      const size = file.length;
      for (const [range, start, end] of [['bytes=0-99', 0, 99], ['bytes=-100', size - 100, size - 1], ['bytes=100-', 100, size - 1], ['bytes=5000-999999', 5000, size - 1]] as const) {
        const part = await get(privateUrl, range);
        assert.equal(part.status, 206, range);
        assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${size}`, range);
        assert.deepEqual(Buffer.from(await part.arrayBuffer()), file.subarray(start, end + 1), range);
        assert.equal(part.headers.get('content-security-policy'), 'sandbox', 'the safety headers stay');
      }
    });

    test('a range past the end is 416; a list of ranges or an unreadable one gets the whole file', async () => {
      const past = await get(privateUrl, `bytes=${file.length}-`);
      assert.equal(past.status, 416);
      assert.equal(past.headers.get('content-range'), `bytes */${file.length}`);
      for (const range of ['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3x']) {
        const answer = await get(privateUrl, range);
        assert.equal(answer.status, 200, range);
        assert.deepEqual(Buffer.from(await answer.arrayBuffer()), file, range);
      }
    });

    test('the public link Twilio fetches answers ranges too; without a session the private route stays closed', async () => {
      const part = await get(publicUrl, 'bytes=0-8', false);
      assert.equal(part.status, 206);
      assert.equal(Buffer.from(await part.arrayBuffer()).toString(), '%PDF-1.4\n');
      assert.equal((await get(privateUrl, 'bytes=0-8', false)).status, 401);
    });
  });
}

// A customer's voice note lives at Twilio: the player's ranges go on to Twilio's CDN, which sends
// only those bytes, rather than the whole file being downloaded again for every seek.
for (const kind of databaseKinds()) {
  describe(`byte ranges of a customer's media at Twilio (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    let file: Buffer;
    let url: string;
    const mediaRequests = (from: number) => inbox.local.requests().slice(from).filter((r) => r.method === 'GET' && /\/Media\/ME\w+$/.test(r.path));

    before(async () => {
      inbox = await startTestInbox({ kind });
      session = await inbox.login();
      file = Buffer.concat([Buffer.from('OggS'), randomBytes(20_000)]);
      const sent = await inbox.local.simulateInbound({
        from: 'whatsapp:+573170009902', profileName: 'Paciente Audio Largo',
        media: [{ url: `data:audio/ogg;base64,${file.toString('base64')}`, contentType: 'audio/ogg' }],
      });
      const id = await waitFor(async () => (await inbox.db.query<{ id: string }>('SELECT id FROM messages WHERE sid = $1', [sent.sid])).rows[0]?.id, 'the voice note recorded');
      url = `${inbox.baseUrl}/api/media/${id}/0`;
    });
    after(() => inbox?.close());

    const get = (range?: string) => fetch(url, { headers: { cookie: session.cookie, ...(range ? { range } : {}) } });

    test('whole: 200 streamed with its length; a range: 206 with those bytes, and only the range asked of Twilio', async () => {
      let from = inbox.local.requests().length;
      const whole = await get();
      assert.equal(whole.status, 200);
      assert.equal(whole.headers.get('content-type'), 'audio/ogg');
      assert.equal(whole.headers.get('accept-ranges'), 'bytes');
      assert.equal(whole.headers.get('content-length'), String(file.length));
      assert.deepEqual(Buffer.from(await whole.arrayBuffer()), file);
      assert.equal(mediaRequests(from)[0]?.range, undefined);

      const size = file.length;
      for (const [range, start, end] of [['bytes=0-99', 0, 99], ['bytes=-100', size - 100, size - 1], ['bytes=100-', 100, size - 1]] as const) {
        from = inbox.local.requests().length;
        const part = await get(range);
        assert.equal(part.status, 206, range);
        assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${size}`, range);
        assert.equal(part.headers.get('content-length'), String(end - start + 1), range);
        assert.deepEqual(Buffer.from(await part.arrayBuffer()), file.subarray(start, end + 1), range);
        assert.deepEqual(mediaRequests(from).map((r) => r.range), [range], 'Twilio was asked for the range only');
      }
    });

    test('past the end: 416 with the size; several ranges or another unit: the whole file, and no range asked', async () => {
      const past = await get(`bytes=${file.length}-`);
      assert.equal(past.status, 416);
      assert.equal(past.headers.get('content-range'), `bytes */${file.length}`);
      for (const range of ['bytes=0-1,5-6', 'items=0-5']) {
        const from = inbox.local.requests().length;
        const answer = await get(range);
        assert.equal(answer.status, 200, range);
        assert.deepEqual(Buffer.from(await answer.arrayBuffer()), file, range);
        assert.equal(mediaRequests(from)[0]?.range, undefined, range);
      }
      // The server keeps serving.
      assert.equal((await get('bytes=0-3')).status, 206);
    });
  });
}

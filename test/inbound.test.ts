import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDto, MessageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';

const INCOMING = '/api/whatsapp/incoming';

function inboundParams(o: { sid?: string; from: string; body?: string; profileName?: string; extra?: Record<string, string> }) {
  const sid = o.sid ?? newSid();
  return {
    MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, AccountSid: 'AC' + '0'.repeat(32), From: o.from, To: OUR_NUMBER,
    Body: o.body ?? 'Hola', NumMedia: '0', ProfileName: o.profileName ?? 'Ana María', WaId: o.from.replace('whatsapp:+', ''),
    SmsStatus: 'received', MessageType: 'text', ApiVersion: '2010-04-01', ...(o.extra ?? {}),
  };
}

for (const kind of databaseKinds()) {
  describe(`inbound webhook (${kind})`, () => {
    let inbox: TestInbox;
    let cookie: string;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      cookie = await inbox.loginCookie();
    });
    after(() => inbox.close());

    const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
      const res = await fetch(inbox.baseUrl + path, { ...init, headers: { cookie, 'content-type': 'application/json', ...(init.headers ?? {}) } });
      assert.ok(res.ok, `${path}: ${res.status} ${await res.clone().text()}`);
      return res.json() as Promise<T>;
    };

    test('records the message, names the contact, opens the window, answers empty TwiML as text/xml', async () => {
      const params = inboundParams({ from: 'whatsapp:+573153369631', body: '¿Qué es? ✅ 🇨🇴', profileName: 'Ana María' });
      const res = await inbox.postSigned(INCOMING, params);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
      assert.match(await res.text(), /<Response\/>/);

      const list = await api<{ items: ConversationDto[] }>('/api/conversations');
      const c = list.items.find((i) => i.contact.phone === '+573153369631')!;
      assert.equal(c.contact.name, 'Ana María');
      assert.equal(c.unreadCount, 1);
      assert.ok(c.windowExpiresAt && Date.parse(c.windowExpiresAt) > Date.now() + 23 * 3600_000, 'the 24-hour window is open');
      const page = await api<{ items: MessageDto[] }>(`/api/conversations/${c.id}/messages`);
      assert.equal(page.items.length, 1);
      assert.equal(page.items[0]!.body, '¿Qué es? ✅ 🇨🇴', 'UTF-8 survives the round trip');
      assert.equal(page.items[0]!.direction, 'inbound');
      assert.equal(page.items[0]!.source, 'inbound');
    });

    test('a retried webhook is stored once', async () => {
      const params = inboundParams({ from: 'whatsapp:+573150000001' });
      await inbox.postSigned(INCOMING, params);
      await inbox.postSigned(INCOMING, params);
      const { rows } = await inbox.db.query('SELECT * FROM messages WHERE sid = $1', [params.MessageSid]);
      assert.equal(rows.length, 1);
    });

    test('SQL and HTML in the text are stored as text, verbatim', async () => {
      const evil = `'); DROP TABLE messages; -- <script>alert(1)</script> <img src=x onerror=alert(2)>`;
      const params = inboundParams({ from: 'whatsapp:+573150000002', body: evil });
      assert.equal((await inbox.postSigned(INCOMING, params)).status, 200);
      const { rows } = await inbox.db.query<{ body: string }>('SELECT body FROM messages WHERE sid = $1', [params.MessageSid]);
      assert.equal(rows[0]!.body, evil);
    });

    test('media, replies, buttons and locations are kept', async () => {
      const params = inboundParams({
        from: 'whatsapp:+573150000003', body: '',
        extra: {
          NumMedia: '1', MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/AC${'0'.repeat(32)}/Messages/MM${'1'.repeat(32)}/Media/ME${'2'.repeat(32)}`,
          MediaContentType0: 'image/jpeg', OriginalRepliedMessageSid: 'SM' + 'a'.repeat(32), ButtonPayload: 'confirmar_cita', ButtonText: 'Confirmar',
          Latitude: '4.6097', Longitude: '-74.0817', Address: 'Bogotá', Label: 'Clínica',
        },
      });
      await inbox.postSigned(INCOMING, params);
      const { rows } = await inbox.db.query<{ id: string }>('SELECT id FROM messages WHERE sid = $1', [params.MessageSid]);
      const m = await api<MessageDto>(`/api/conversations/${(await inbox.db.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE id = $1', [rows[0]!.id])).rows[0]!.conversation_id}/messages`).then((p) => (p as unknown as { items: MessageDto[] }).items[0]!);
      assert.equal(m.media.length, 1);
      assert.equal(m.media[0]!.url, `/api/media/${m.id}/0`);
      assert.equal(m.media[0]!.contentType, 'image/jpeg');
      assert.equal(m.replyToSid, 'SM' + 'a'.repeat(32));
      assert.equal(m.buttonPayload, 'confirmar_cita');
      assert.equal(m.body, 'Confirmar', 'a button reply without Body shows the button text');
      assert.deepEqual(m.location, { latitude: 4.6097, longitude: -74.0817, address: 'Bogotá', label: 'Clínica' });
    });

    test('a contact renamed by a person keeps its name; ProfileName refreshes otherwise', async () => {
      const from = 'whatsapp:+573150000004';
      await inbox.postSigned(INCOMING, inboundParams({ from, profileName: 'Pedro' }));
      await inbox.postSigned(INCOMING, inboundParams({ from, profileName: 'Pedro P.' }));
      let name = (await inbox.db.query<{ name: string }>("SELECT name FROM contacts WHERE phone = '+573150000004'")).rows[0]!.name;
      assert.equal(name, 'Pedro P.');
      await inbox.db.query("UPDATE contacts SET name = 'Don Pedro (empresa X)', name_source = 'user' WHERE phone = '+573150000004'");
      await inbox.postSigned(INCOMING, inboundParams({ from, profileName: 'Pedrito' }));
      name = (await inbox.db.query<{ name: string }>("SELECT name FROM contacts WHERE phone = '+573150000004'")).rows[0]!.name;
      assert.equal(name, 'Don Pedro (empresa X)');
    });

    test('a wrong signature is refused and stores nothing', async () => {
      const params = inboundParams({ from: 'whatsapp:+573150000005' });
      assert.equal((await inbox.postSigned(INCOMING, params, { signature: 'AAAA' })).status, 403);
      const { rows } = await inbox.db.query('SELECT * FROM messages WHERE sid = $1', [params.MessageSid]);
      assert.equal(rows.length, 0);
    });

    test('media is fetched with Twilio credentials only from Twilio; other URLs get a plain redirect', async () => {
      const local = await inbox.local.simulateInbound({ from: 'whatsapp:+573150000006', body: 'foto', media: [{ contentType: 'image/png' }] });
      assert.equal(local.status, 200);
      // The local Twilio hosts the file and wants the account's credentials, which our proxy adds.
      const m = (await inbox.db.query<{ id: string; media: { url: string }[] }>('SELECT id, media FROM messages WHERE sid = $1', [local.sid])).rows[0]!;
      assert.equal(m.media.length, 1);
      assert.equal((await fetch(m.media[0]!.url)).status, 401, 'without credentials the file is refused');
      const proxied = await fetch(`${inbox.baseUrl}/api/media/${m.id}/0`, { headers: { cookie } });
      assert.equal(proxied.status, 200);
      assert.equal(proxied.headers.get('content-type'), 'image/png');
      assert.ok((await proxied.arrayBuffer()).byteLength > 0, 'the proxy returned the file');
      assert.equal((await fetch(`${inbox.baseUrl}/api/media/${m.id}/0`)).status, 401, 'the proxy needs a session');

      const params = inboundParams({ from: 'whatsapp:+573150000007', extra: { NumMedia: '1', MediaUrl0: 'https://evil.example.com/steal', MediaContentType0: 'image/png' } });
      await inbox.postSigned(INCOMING, params);
      const { rows } = await inbox.db.query<{ id: string }>('SELECT id FROM messages WHERE sid = $1', [params.MessageSid]);
      const res = await fetch(`${inbox.baseUrl}/api/media/${rows[0]!.id}/0`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), 'https://evil.example.com/steal');
    });
  });
}

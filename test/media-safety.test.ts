import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';

const INCOMING = '/api/whatsapp/incoming';
const TWILIO_MEDIA = `https://api.twilio.com/2010-04-01/Accounts/AC${'0'.repeat(32)}/Messages/MM${'1'.repeat(32)}/Media/ME${'2'.repeat(32)}`;

// MediaUrl values no Twilio sends; the first two ended in ERR_INVALID_CHAR on Location (a 500).
const BAD_URLS: Record<string, string> = {
  'CR/LF': 'https://evil.example.com/a\r\nSet-Cookie: wa_session=x',
  'a bare LF': 'https://evil.example.com/a\nb',
  'beyond Latin-1': 'https://evil.example.com/€/漢字',
  'Latin-1 but not ASCII': 'https://evil.example.com/año',
  'a tab (URL would drop it)': 'https://evil.example.com/a\tb',
  'a space': 'https://evil.example.com/a b',
  'javascript:': 'javascript:alert(document.cookie)',
  'data:': 'data:text/html,<script>alert(1)</script>',
  'http:': 'http://evil.example.com/x.jpg',
  'relative': '/api/users',
  'protocol-relative': '//evil.example.com/x',
  'credentials': 'https://user:secret@evil.example.com/x',
  'a user only': 'https://user@evil.example.com/x',
  'no host': 'https:///x',
  'no slashes': 'https:evil.example.com/x',
  'backslashes': 'https:\\\\evil.example.com/x',
  'empty': '',
  'huge': 'https://evil.example.com/' + 'a'.repeat(5000),
};

function inboundParams(from: string, media: { url?: string; contentType?: string }[]) {
  const params: Record<string, string> = {
    MessageSid: newSid('MM'), AccountSid: 'AC' + '0'.repeat(32), From: from, To: OUR_NUMBER, Body: '', NumMedia: String(media.length),
  };
  media.forEach((m, i) => {
    if (m.url !== undefined) params[`MediaUrl${i}`] = m.url;
    if (m.contentType !== undefined) params[`MediaContentType${i}`] = m.contentType;
  });
  return params;
}

function assertMediaHeaders(res: Response, what: string) {
  assert.equal(res.headers.get('content-security-policy'), 'sandbox', `${what}: CSP sandbox`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
}

for (const kind of databaseKinds()) {
  describe(`media safety (${kind})`, () => {
    let inbox: TestInbox;
    let cookie: string;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      cookie = await inbox.loginCookie();
    });
    after(() => inbox.close());

    const media = (id: string, index: number | string, init: RequestInit = {}) =>
      fetch(`${inbox.baseUrl}/api/media/${id}/${index}`, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers ?? {}) } });
    const messageOf = async (sid: string) => {
      const { rows } = await inbox.db.query<{ id: string; conversation_id: string; media: { url: string | null; contentType: string | null }[] }>(
        'SELECT id, conversation_id, media FROM messages WHERE sid = $1', [sid]);
      assert.ok(rows[0], `message ${sid} stored`);
      return rows[0]!;
    };
    const dtoOf = async (conversationId: string, id: string) => {
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversationId}/messages`, { headers: { cookie } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { items: MessageDto[] }).items.find((m) => m.id === id)!;
    };

    test('a signed webhook whose MediaUrl is not a clean absolute https URL is stored, its item unavailable, and the media route answers 404', async () => {
      let n = 0;
      for (const [what, url] of Object.entries(BAD_URLS)) {
        const params = inboundParams(`whatsapp:+5731900000${String(n++).padStart(2, '0')}`, [{ url, contentType: 'image/jpeg' }, { url: TWILIO_MEDIA, contentType: 'image/png' }]);
        const res = await inbox.postSigned(INCOMING, params);
        assert.equal(res.status, 200, `${what}: ${await res.clone().text()}`);
        assert.match(await res.text(), /<Response\/>/);
        const m = await messageOf(params.MessageSid!);
        assert.deepEqual(m.media, [{ url: null, contentType: 'image/jpeg' }, { url: TWILIO_MEDIA, contentType: 'image/png' }], what);
        const dto = await dtoOf(m.conversation_id, m.id);
        assert.deepEqual(dto.media, [{ url: null, contentType: 'image/jpeg' }, { url: `/api/media/${m.id}/1`, contentType: 'image/png' }], `${what}: the DTO marks it unavailable`);
        const served = await media(m.id, 0);
        assert.equal(served.status, 404, `${what}: ${served.status}`);
        assertMediaHeaders(served, what);
      }
    });

    test('an item declared without any URL is kept as unavailable; a clean https URL elsewhere still redirects, ASCII only', async () => {
      const params = inboundParams('whatsapp:+573190001000', [{ contentType: 'audio/ogg' }, { url: 'https://cdn.example.com/a/b.jpg?x=1', contentType: 'image/jpeg' }]);
      assert.equal((await inbox.postSigned(INCOMING, params)).status, 200);
      const m = await messageOf(params.MessageSid!);
      assert.deepEqual(m.media, [{ url: null, contentType: 'audio/ogg' }, { url: 'https://cdn.example.com/a/b.jpg?x=1', contentType: 'image/jpeg' }]);
      assert.equal((await media(m.id, 0)).status, 404);
      const redirect = await media(m.id, 1);
      assert.equal(redirect.status, 302);
      assert.equal(redirect.headers.get('location'), 'https://cdn.example.com/a/b.jpg?x=1');
      assertMediaHeaders(redirect, 'the redirect');
    });

    test('declared content types are stored as their lower-case essence, or null when they are not a type', async () => {
      const params = inboundParams('whatsapp:+573190001001', [
        { url: TWILIO_MEDIA, contentType: 'Text/HTML; charset=utf-8' },
        { url: TWILIO_MEDIA, contentType: 'image/png\r\nX-Injected: 1' },
        { url: TWILIO_MEDIA, contentType: 'not a type' },
      ]);
      assert.equal((await inbox.postSigned(INCOMING, params)).status, 200);
      assert.deepEqual((await messageOf(params.MessageSid!)).media.map((x) => x.contentType), ['text/html', null, null]);
    });

    test('bad URLs and items already stored (before the check) answer 404, never 500', async () => {
      const params = inboundParams('whatsapp:+573190001002', [{ url: TWILIO_MEDIA, contentType: 'image/png' }]);
      assert.equal((await inbox.postSigned(INCOMING, params)).status, 200);
      const m = await messageOf(params.MessageSid!);
      const stored = [
        { url: 'https://evil.example.com/a\r\nSet-Cookie: x=1', contentType: 'text/html' },
        { url: 'https://evil.example.com/€', contentType: 'image/png' },
        { url: 'javascript:alert(1)', contentType: 'text/html' },
        { url: 'http://evil.example.com/x', contentType: 'image/png' },
        { url: '/relative', contentType: null },
        { url: 'https://u:p@evil.example.com/x', contentType: null },
        { url: 5, contentType: 'image/png' },
        { contentType: 'image/png' },
        null,
        'https://evil.example.com/x',
      ];
      await inbox.db.query('UPDATE messages SET media = $2::jsonb WHERE id = $1', [m.id, JSON.stringify(stored)]);
      for (let i = 0; i < stored.length; i++) {
        const res = await media(m.id, i);
        assert.equal(res.status, 404, `stored item ${i} (${JSON.stringify(stored[i])}): ${res.status}`);
        assertMediaHeaders(res, `stored item ${i}`);
      }
      await inbox.db.query(`UPDATE messages SET media = '{"0":{"url":"https://x.example.com/a"}}'::jsonb WHERE id = $1`, [m.id]);
      assert.equal((await media(m.id, 0)).status, 404, 'media that is not a list');
      for (const [id, index] of [[m.id, 99], [m.id, -1], [m.id, 'x'], [m.id, '1e0'], [m.id, 'constructor'], ['not-a-uuid', 0], ['00000000-0000-4000-8000-000000000000', 0]] as const) {
        const res = await media(String(id), index);
        assert.equal(res.status, 404, `${id}/${index}`);
        assertMediaHeaders(res, `${id}/${index}`);
      }
      const anonymous = await fetch(`${inbox.baseUrl}/api/media/${m.id}/0`);
      assert.equal(anonymous.status, 401);
      assertMediaHeaders(anonymous, 'without a session');
    });

    test('Twilio unreachable for a media file is 502, not 500', async () => {
      const params = inboundParams('whatsapp:+573190001003', [{ url: TWILIO_MEDIA, contentType: 'image/png' }]);
      assert.equal((await inbox.postSigned(INCOMING, params)).status, 200);
      const res = await media((await messageOf(params.MessageSid!)).id, 0);
      assert.equal(res.status, 502);
      assertMediaHeaders(res, 'the 502');
    });

    test('only pictures, audio and video are served inline; HTML, SVG and the rest are attachments, all sandboxed and nosniff', async () => {
      const html = '<html><body><script>fetch("/api/users")</script></body></html>';
      const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
      const cases: { declared: string; bytes: Buffer; inline: boolean; type: string; extension?: string }[] = [
        { declared: 'text/html', bytes: Buffer.from(html), inline: false, type: 'application/octet-stream' },
        { declared: 'Text/HTML; charset=utf-8', bytes: Buffer.from(html), inline: false, type: 'application/octet-stream' },
        { declared: 'image/svg+xml', bytes: Buffer.from(svg), inline: false, type: 'application/octet-stream' },
        { declared: 'IMAGE/SVG+XML', bytes: Buffer.from(svg), inline: false, type: 'application/octet-stream' },
        { declared: 'application/xhtml+xml', bytes: Buffer.from(html), inline: false, type: 'application/octet-stream' },
        { declared: 'application/pdf', bytes: Buffer.from('%PDF-1.1\n%%EOF\n'), inline: false, type: 'application/pdf', extension: 'pdf' },
        { declared: 'image/jpeg', bytes: jpeg, inline: true, type: 'image/jpeg' },
        { declared: 'Image/JPEG; x=1', bytes: jpeg, inline: true, type: 'image/jpeg' },
        { declared: 'audio/ogg; codecs=opus', bytes: Buffer.from('OggS'), inline: true, type: 'audio/ogg' },
        { declared: 'video/mp4', bytes: Buffer.from('....ftypmp42'), inline: true, type: 'video/mp4' },
      ];
      let n = 0;
      for (const c of cases) {
        const sent = await inbox.local.simulateInbound({
          from: `whatsapp:+5731900020${String(n++).padStart(2, '0')}`, body: '',
          media: [{ contentType: c.declared, url: `data:application/octet-stream;base64,${c.bytes.toString('base64')}` }],
        });
        assert.equal(sent.status, 200);
        const m = await messageOf(sent.sid);
        const res = await media(m.id, 0);
        assert.equal(res.status, 200, c.declared);
        assertMediaHeaders(res, c.declared);
        assert.equal(res.headers.get('content-type'), c.type, `${c.declared}: served type`);
        const disposition = res.headers.get('content-disposition');
        if (c.inline) assert.equal(disposition, null, `${c.declared}: inline`);
        else assert.equal(disposition, `attachment; filename="whatsapp-${m.id.slice(0, 8)}-0${c.extension ? '.' + c.extension : ''}"`, `${c.declared}: attachment`);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), c.bytes, `${c.declared}: the bytes as sent`);
      }
    });

    test('a type stored before the check, with odd casing or parameters, still does not slip through the allow-list', async () => {
      const sent = await inbox.local.simulateInbound({ from: 'whatsapp:+573190003000', body: '', media: [{ contentType: 'image/png' }, { contentType: 'image/png' }] });
      const m = await messageOf(sent.sid);
      await inbox.db.query('UPDATE messages SET media = $2::jsonb WHERE id = $1', [m.id, JSON.stringify([
        { url: m.media[0]!.url, contentType: 'Text/HTML; charset=utf-8' },
        { url: m.media[1]!.url, contentType: 'IMAGE/PNG' },
      ])]);
      const html = await media(m.id, 0);
      assert.equal(html.status, 200);
      assert.equal(html.headers.get('content-type'), 'application/octet-stream');
      assert.match(html.headers.get('content-disposition') ?? '', /^attachment;/);
      const png = await media(m.id, 1);
      assert.equal(png.headers.get('content-type'), 'image/png');
      assert.equal(png.headers.get('content-disposition'), null);
      assertMediaHeaders(png, 'png');
    });
  });
}

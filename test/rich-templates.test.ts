import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessageDto, PageDto, TemplateDto, TimelineItemDto } from '../src/contract/api.ts';
import { readTemplateContent } from '../src/twilio/content-types.ts';
import { databaseKinds } from './support/databases.ts';
import { startTestInbox, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

describe('a Content resource read as the picker shows it', () => {
  test('each type WhatsApp takes: text, media header, quick replies, calls to action, card', () => {
    assert.deepEqual(readTemplateContent({ 'twilio/text': { body: 'Hola {{1}}' } }),
      { kind: 'twilio/text', body: 'Hola {{1}}', title: null, subtitle: null, media: [], actions: [] });
    assert.deepEqual(readTemplateContent({ 'twilio/media': { body: 'Su certificado', media: ['https://x.example/{{2}}'] } }),
      { kind: 'twilio/media', body: 'Su certificado', title: null, subtitle: null, media: ['https://x.example/{{2}}'], actions: [] });
    const quick = readTemplateContent({ 'twilio/quick-reply': { body: '¿Confirma?', actions: [{ title: 'Sí', id: 'si' }, { title: 'No', id: 'no' }] }, 'twilio/text': { body: 'Responda SÍ o NO' } });
    assert.equal(quick.kind, 'twilio/quick-reply', 'the richest type wins over its text fallback');
    assert.deepEqual(quick.actions, [{ type: 'QUICK_REPLY', title: 'Sí', url: null, phone: null }, { type: 'QUICK_REPLY', title: 'No', url: null, phone: null }]);
    const cta = readTemplateContent({ 'twilio/call-to-action': { body: 'Resultados', actions: [{ type: 'URL', title: 'Ver', url: 'https://x.example/{{1}}' }, { type: 'PHONE_NUMBER', title: 'Llamar', phone: '+576015550100' }] } });
    assert.deepEqual(cta.actions.map((a) => [a.type, a.url ?? a.phone]), [['URL', 'https://x.example/{{1}}'], ['PHONE_NUMBER', '+576015550100']]);
    const card = readTemplateContent({ 'twilio/card': { title: 'Jornada', subtitle: 'El {{1}}', media: ['https://x.example/j.jpg'], actions: [{ type: 'QUICK_REPLY', title: 'Voy', id: 'voy' }] } });
    assert.deepEqual([card.kind, card.title, card.subtitle, card.body, card.media, card.actions.length], ['twilio/card', 'Jornada', 'El {{1}}', '', ['https://x.example/j.jpg'], 1]);
  });

  test('anything else is read as text, and malformed parts are left out rather than trusted', () => {
    assert.deepEqual(readTemplateContent({ 'twilio/list-picker': { body: 'Elija', items: [] } }).body, 'Elija');
    assert.equal(readTemplateContent({ 'twilio/list-picker': { body: 'Elija' } }).kind, 'twilio/text');
    assert.deepEqual(readTemplateContent({}), { kind: 'twilio/text', body: '', title: null, subtitle: null, media: [], actions: [] });
    const odd = readTemplateContent({ 'twilio/call-to-action': { body: 7, media: 'x', actions: [null, { type: 'EVIL', title: 'x' }, { type: 'URL' }, { type: 'URL', title: 'ok', url: 3 }] } });
    assert.deepEqual(odd, { kind: 'twilio/call-to-action', body: '', title: null, subtitle: null, media: [], actions: [{ type: 'URL', title: 'ok', url: null, phone: null }] });
  });
});

for (const kind of databaseKinds()) {
  describe(`rich templates through the local Twilio (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      session = await inbox.login();
    });
    after(() => inbox.close());

    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(inbox.baseUrl + path, { headers: session.headers });
      assert.equal(res.status, 200, await res.clone().text());
      return res.json() as Promise<T>;
    };

    test('GET /api/templates carries each template\'s type, media header and buttons, as Twilio\'s Content API has them', async () => {
      const { items } = await get<{ items: TemplateDto[] }>('/api/templates');
      const byName = new Map(items.map((t) => [t.name, t]));
      assert.deepEqual([...new Set(items.map((t) => t.kind))].sort(), ['twilio/call-to-action', 'twilio/card', 'twilio/media', 'twilio/quick-reply', 'twilio/text']);
      assert.deepEqual(byName.get('certificado_aptitud')!.media, ['https://clinica.example/certificados/{{2}}']);
      assert.deepEqual(byName.get('confirmar_cita')!.actions.map((a) => a.title), ['Confirmo', 'Reprogramar', 'Cancelar cita']);
      assert.deepEqual(byName.get('portal_resultados')!.actions.map((a) => a.type), ['URL', 'PHONE_NUMBER']);
      const card = byName.get('jornada_salud')!;
      assert.deepEqual([card.title, card.subtitle, card.media.length, card.actions.length], ['Jornada de salud ocupacional', 'Este {{1}} en la sede {{2}}', 1, 2]);
    });

    test('a card goes out like any template; its chat bubble reads its title and subtitle filled in', async () => {
      await inbox.local.simulateInbound({ from: 'whatsapp:+573207770001', body: 'Hola', profileName: 'Tarjeta' });
      const { items } = await get<{ items: TemplateDto[] }>('/api/templates');
      const card = items.find((t) => t.name === 'jornada_salud')!;
      const conversation = (await get<PageDto<{ id: string }>>('/api/conversations?q=3207770001')).items[0]!;
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conversation.id}/messages`, {
        method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ contentSid: card.sid, contentVariables: { 1: 'sábado 12', 2: 'Chapinero' } }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const sent = (await res.json()) as MessageDto;
      assert.equal(sent.body, 'Jornada de salud ocupacional\nEste sábado 12 en la sede Chapinero');
      assert.equal(sent.contentSid, card.sid);
      const atTwilio = await waitFor(() => inbox.local.messages().find((m) => m.sid === sent.sid), 'the send at the local Twilio');
      assert.equal(atTwilio.contentSid, card.sid);
      assert.equal(atTwilio.body, 'Jornada de salud ocupacional', 'the local Twilio rendered the card\'s text with its values');
      const timeline = await get<PageDto<TimelineItemDto>>(`/api/conversations/${conversation.id}/messages`);
      assert.ok(timeline.items.some((m) => m.id === sent.id));
    });
  });
}

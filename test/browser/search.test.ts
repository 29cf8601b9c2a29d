import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newSid, OUR_NUMBER, waitFor, type TestInbox } from '../support/inbox.ts';
import { chromiumSuite } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

const customerWrites = (inbox: TestInbox, phone: string, body: string, profileName: string) =>
  inbox.postSigned('/api/whatsapp/incoming', {
    MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:${phone}`, To: OUR_NUMBER, Body: body, NumMedia: '0', ProfileName: profileName,
  }).then((res) => assert.equal(res.status, 200));

// The search box finds messages as staff type them (no accents), lists them with their chat, and
// opens the chat at the message chosen, even one many pages back.
describe('search that finds, in Chromium', { skip, timeout: 240_000 }, () => {
  const s = chromiumSuite({
    seed: async (inbox) => {
      await customerWrites(inbox, '+573205550001', 'Quiero saber de la Campaña de vacunación', 'María Núñez');
      await customerWrites(inbox, '+573205550001', 'Gracias', 'María Núñez');
      // A long chat: the message sought is the first of 260, five pages back from the newest.
      await customerWrites(inbox, '+573205550002', 'Necesito el certificado de aptitud laboral', 'Óscar Peña');
      for (let i = 1; i < 260; i++) await customerWrites(inbox, '+573205550002', `Mensaje ${i} de Óscar`, 'Óscar Peña');
    },
  });

  async function focusedInView(text: string) {
    const bubble = s.page.locator('[data-testid="message-bubble"][data-focused="true"]');
    await bubble.waitFor({ timeout: 60_000 });
    assert.match(await bubble.innerText(), new RegExp(text));
    await waitFor(async () => {
      const box = await bubble.boundingBox();
      const list = await s.page.getByTestId('message-list').boundingBox();
      return !!box && !!list && box.y >= list.y && box.y + box.height <= list.y + list.height;
    }, `the bubble "${text}" on screen`, 10_000);
  }

  test('a word typed without its accent finds the message; choosing it opens the chat there, marked', async () => {
    await s.page.getByRole('searchbox').fill('campana');
    await s.page.getByTestId('search-view-messages').click();
    const hit = s.page.getByTestId('message-hit');
    await hit.first().waitFor();
    assert.equal(await hit.count(), 1);
    assert.match(await hit.innerText(), /María Núñez/);
    assert.equal(await hit.locator('mark').innerText(), 'Campaña', 'the match is marked as written');
    await hit.click();
    await s.page.getByTestId('chat-title').filter({ hasText: 'María Núñez' }).waitFor();
    await focusedInView('Campaña de vacunación');
  });

  test('a message five pages back: the chat loads back to it and centres it', async () => {
    await s.page.getByRole('searchbox').fill('aptitud');
    await s.page.getByTestId('search-view-messages').click();
    // The search waits for a pause in typing: the last query's hits show until then.
    const hit = s.page.getByTestId('message-hit').filter({ hasText: 'Óscar Peña' });
    await hit.waitFor();
    assert.equal(await s.page.getByTestId('message-hit').count(), 1);
    await hit.click();
    await s.page.getByTestId('chat-title').filter({ hasText: 'Óscar Peña' }).waitFor();
    await focusedInView('certificado de aptitud');
    assert.ok(await s.page.getByTestId('message-bubble').count() >= 260, 'every message back to it is loaded');
  });

  test('no match says so; back on Chats the list shows the matching conversations', async () => {
    await s.page.getByRole('searchbox').fill('nadie escribió esto');
    await s.page.getByTestId('message-hits-empty').waitFor();
    await s.page.getByRole('searchbox').fill('nunez');
    await s.page.getByTestId('search-view-chats').click();
    await s.page.getByTestId('conversation-item').filter({ hasText: 'María Núñez' }).waitFor();
    assert.equal(await s.page.getByTestId('conversation-item').count(), 1);
  });
});

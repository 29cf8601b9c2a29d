import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chromiumSuite, conversationItem } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const SECOND = 'whatsapp:+573001110000';

// Several WhatsApp numbers: each conversation shows its number as a coloured tag (list and chat
// header), the list filters by number, a new chat chooses one, and admins name and colour them.
describe('two WhatsApp numbers in Chromium', { skip, timeout: 240_000 }, () => {
  const suite = chromiumSuite({
    inbox: { moreSenders: [SECOND] },
    async seed(inbox) {
      await inbox.local.simulateInbound({ from: 'whatsapp:+573204440001', body: 'Hola al primero', profileName: 'Rosa Elena' });
      await inbox.local.simulateInbound({ from: 'whatsapp:+573204440001', to: SECOND, body: 'Hola al segundo', profileName: 'Rosa Elena' });
      await inbox.local.simulateInbound({ from: 'whatsapp:+573204440002', to: SECOND, body: 'Solo al segundo', profileName: 'Julián Mora' });
    },
  });

  test('each conversation carries its number\'s tag; the filter keeps one number\'s; the chat header shows it', async () => {
    const { page } = suite;
    const rosa = conversationItem(page, 'Rosa Elena');
    await rosa.nth(1).waitFor();
    assert.equal(await rosa.count(), 2, 'one conversation per number');
    const tags = (await rosa.getByTestId('sender-tag').allInnerTexts()).sort();
    assert.deepEqual(tags, ['+14155238886', '+573001110000']);
    const julian = conversationItem(page, 'Julián Mora');
    assert.equal(await julian.getByTestId('sender-tag').innerText(), '+573001110000');

    const filter = page.getByTestId('filter-sender');
    await filter.selectOption({ label: '+573001110000' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="conversation-item"]').length === 2);
    const shown = await page.getByTestId('conversation-item').getByTestId('sender-tag').allInnerTexts();
    assert.deepEqual(shown, ['+573001110000', '+573001110000']);
    await filter.selectOption({ value: '' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="conversation-item"]').length === 3);

    await julian.click();
    const header = page.getByTestId('chat-header');
    assert.equal(await header.getByTestId('sender-tag').innerText(), '+573001110000');
  });

  test('an admin names and colours a number: every tag follows at once', async () => {
    const { page } = suite;
    await page.getByTestId('nav-users').click();
    const row = page.locator('[data-testid="sender-row"][data-sender-address="whatsapp:+573001110000"]');
    await row.getByTestId('sender-name').fill('Sede norte');
    await row.getByTestId('sender-colour').fill('#7e22ce');
    await row.getByTestId('sender-save').click();
    await page.getByTestId('senders-notice').filter({ hasText: 'Sede norte' }).waitFor();
    await page.getByTestId('nav-inbox').click();
    const tag = conversationItem(page, 'Julián Mora').getByTestId('sender-tag');
    await tag.filter({ hasText: 'Sede norte' }).waitFor();
    assert.equal(await tag.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(126, 34, 206)');
  });

  test('a new chat asks which number writes, and its conversation carries that number', async () => {
    const { page, inbox } = suite;
    await page.getByTestId('new-chat-open').click();
    const dialog = page.getByTestId('new-chat');
    const sender = dialog.getByTestId('new-chat-sender');
    await sender.waitFor();
    await sender.selectOption({ label: 'Sede norte (+573001110000)' });
    await dialog.getByTestId('new-chat-phone').fill('3204440003');
    await dialog.getByTestId('new-chat-name').fill('Camila Ríos');
    await dialog.getByTestId('template-option').filter({ hasText: 'bienvenida' }).click();
    await dialog.getByTestId('template-variable').first().fill('Camila');
    await dialog.getByTestId('template-send').click();
    await page.getByTestId('chat-header').getByTestId('sender-tag').filter({ hasText: 'Sede norte' }).waitFor();
    const sent = inbox.local.messages().filter((m) => m.to === 'whatsapp:+573204440003');
    assert.deepEqual(sent.map((m) => m.from), [SECOND]);
  });
});

describe('one WhatsApp number in Chromium: nothing about numbers on screen', { skip, timeout: 240_000 }, () => {
  const suite = chromiumSuite({
    async seed(inbox) {
      await inbox.local.simulateInbound({ from: 'whatsapp:+573204440001', body: 'Hola', profileName: 'Rosa Elena' });
    },
  });

  test('no tags, no number filter, no number in the chat header, the new chat or the admin page', async () => {
    const { page } = suite;
    await conversationItem(page, 'Rosa Elena').click();
    await page.getByTestId('chat-header').waitFor();
    await page.getByTestId('list-filters').waitFor();
    assert.equal(await page.getByTestId('sender-tag').count(), 0);
    assert.equal(await page.getByTestId('filter-sender').count(), 0);
    await page.getByTestId('new-chat-open').click();
    await page.getByTestId('new-chat-phone').waitFor();
    assert.equal(await page.getByTestId('new-chat-sender').count(), 0);
    await page.keyboard.press('Escape');
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-table').waitFor();
    assert.equal(await page.getByTestId('senders-panel').count(), 0);
  });
});

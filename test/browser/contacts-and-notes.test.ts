import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { conversationRepository } from '../../src/db/conversation-repository.ts';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// The contact panel, internal notes (live in a second panel), Reenviar and links, in real Chromium.
describe('contacts, notes, Reenviar and links in Chromium', { skip, timeout: 180_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 100 } });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const customerWrites = (phone: string, body: string, profileName: string) => inbox.local.simulateInbound({ from: `whatsapp:${phone}`, body, profileName });

  test('the chat header opens the contact panel; a rename and notes are saved and kept after a new ProfileName', async () => {
    await customerWrites('+573201110001', 'Hola, soy yo', 'Gabi');
    await conversationItem(page, 'Gabi').click();
    await page.getByTestId('open-contact').click();
    const panel = page.getByTestId('contact-panel');
    await panel.waitFor();
    assert.equal(await panel.getByTestId('contact-profile-name').innerText(), 'Gabi');
    assert.match(await panel.getByTestId('contact-phone').innerText(), /320/);
    assert.notEqual(await panel.getByTestId('contact-last-inbound').innerText(), 'Nunca');
    await panel.getByTestId('contact-name').fill('Gabriela Ríos');
    await panel.getByTestId('contact-notes').fill('Prefiere citas en la tarde');
    await panel.getByTestId('contact-save').click();
    await panel.getByTestId('contact-saved').waitFor();
    await panel.getByTestId('contact-panel-close').click();
    await page.getByTestId('chat-title').filter({ hasText: 'Gabriela Ríos' }).waitFor();
    await conversationItem(page, 'Gabriela Ríos').waitFor();

    await customerWrites('+573201110001', 'Cambié mi nombre', 'Gabi 2.0');
    await page.getByTestId('message-bubble').filter({ hasText: 'Cambié mi nombre' }).waitFor();
    assert.equal(await page.getByTestId('chat-title').innerText(), 'Gabriela Ríos', 'the rename stays');
    await page.getByTestId('open-contact').click();
    await page.getByTestId('contact-profile-name').filter({ hasText: 'Gabi 2.0' }).waitFor();
    assert.equal(await page.getByTestId('contact-notes').inputValue(), 'Prefiere citas en la tarde');
    await page.getByTestId('contact-panel-close').click();
  });

  test('an internal note shows as a yellow note bubble with its author, live in a second panel, and is never sent', async () => {
    await customerWrites('+573201110002', 'Necesito factura', 'Hugo');
    const second = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await logIn(second, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await conversationItem(second, 'Hugo').click();
    await second.getByTestId('message-bubble').filter({ hasText: 'Necesito factura' }).waitFor();
    await conversationItem(page, 'Hugo').click();
    await page.getByTestId('note-toggle').check();
    await page.getByTestId('composer-input').fill('Facturación ya la envió por correo');
    await page.getByTestId('send-button').click();
    for (const p of [page, second]) {
      const note = p.getByTestId('note-bubble').filter({ hasText: 'Facturación ya la envió por correo' });
      await note.waitFor({ timeout: 10_000 });
      assert.equal(await note.getByTestId('note-author').innerText(), 'Admin');
      assert.match(await note.getByTestId('note-time').innerText(), /\d/);
      const background = await note.locator('.note-bubble').evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.equal(background, 'rgb(255, 244, 184)', 'yellow');
    }
    assert.equal(await page.getByTestId('message-bubble').filter({ hasText: 'Facturación' }).count(), 0, 'not a WhatsApp bubble');
    assert.equal((await inbox.db.query("SELECT 1 FROM messages WHERE body LIKE 'Facturación%'")).rows.length, 0);
    await second.reload();
    await second.getByTestId('note-bubble').filter({ hasText: 'Facturación ya la envió' }).waitFor();
    await second.close();
    await page.getByTestId('note-toggle').uncheck();
  });

  test('Reenviar on a failed (63016) message sends a new message with the same text; the failed one stays', async () => {
    // Our side thinks the window is open; Twilio (which never saw the customer write) refuses with 63016.
    const conversationId = await conversationRepository.ensureForPhone(inbox.db, '+573201110003');
    await inbox.db.query(`UPDATE contacts SET name = 'Iván Reenvío' WHERE phone = '+573201110003'`);
    await inbox.db.query(`UPDATE conversations SET last_inbound_at = now() - interval '1 hour' WHERE id = $1`, [conversationId]);
    await page.goto(`${inbox.baseUrl}/c/${conversationId}`);
    await page.getByTestId('composer-input').fill('Su cita es mañana');
    await page.getByTestId('send-button').click();
    const bubbles = page.getByTestId('message-bubble').filter({ hasText: 'Su cita es mañana' });
    await bubbles.first().getByTestId('message-resend').waitFor({ timeout: 10_000 });
    assert.equal(await bubbles.first().getAttribute('data-status'), 'failed');
    await bubbles.first().getByTestId('message-resend').click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="message-bubble"]')].filter((e) => e.textContent?.includes('Su cita es mañana') && !e.hasAttribute('data-local')).length === 2, undefined, { timeout: 10_000 });
    const ids = await bubbles.evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
    assert.equal(new Set(ids).size, 2, 'a new message, the failed one kept');
    const { rows } = await inbox.db.query<{ body: string; sent_by: string }>("SELECT body, sent_by FROM messages WHERE body = 'Su cita es mañana'");
    assert.equal(rows.length, 2);
  });

  test('links in a message are <a target=_blank rel="noopener noreferrer">; a javascript: text is not a link', async () => {
    await customerWrites('+573201110004', 'Mire https://clinica.example.com/citas?d=1. y javascript:alert(1) o <a href="javascript:alert(2)">x</a>', 'Juana');
    await conversationItem(page, 'Juana').click();
    const bubble = page.getByTestId('message-bubble').filter({ hasText: 'Mire' });
    await bubble.waitFor();
    const links = await bubble.locator('a').evaluateAll((els) => els.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel'), a.textContent]));
    assert.deepEqual(links, [['https://clinica.example.com/citas?d=1', '_blank', 'noopener noreferrer', 'https://clinica.example.com/citas?d=1']]);
    assert.match(await bubble.getByTestId('message-body').innerText(), /javascript:alert\(1\) o <a href="javascript:alert\(2\)">x<\/a>/);
  });
});

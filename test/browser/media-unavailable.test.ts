import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { messageRepository } from '../../src/db/message-repository.ts';
import { ADMIN, newSid, OUR_NUMBER, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

describe('media without a usable URL in Chromium', { skip, timeout: 120_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('an item whose MediaUrl was refused shows "Archivo no disponible", no link; the good one next to it still shows', async () => {
    const res = await inbox.postSigned('/api/whatsapp/incoming', {
      MessageSid: newSid('MM'), AccountSid: 'AC' + '0'.repeat(32), From: 'whatsapp:+573114445566', To: OUR_NUMBER, Body: '', ProfileName: 'Media Rota',
      NumMedia: '2', MediaUrl0: 'https://evil.example.com/a\r\nSet-Cookie: x=1', MediaContentType0: 'image/jpeg',
      MediaUrl1: 'https://cdn.example.com/doc.pdf', MediaContentType1: 'application/pdf',
    });
    assert.equal(res.status, 200);
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await conversationItem(page, 'Media Rota').click();
    const unavailable = page.locator('[data-testid="message-media"][data-kind="unavailable"]');
    await unavailable.waitFor({ timeout: 10_000 });
    assert.equal((await unavailable.innerText()).trim().replace(/^📎\s*/, ''), 'Archivo no disponible');
    assert.equal(await unavailable.locator('a, img').count(), 0, 'nothing to open');
    assert.equal(await page.locator('[data-testid="message-media"][data-kind="file"]').count(), 1, 'the other item is still a download');
  });

  test('a file sent long ago whose bytes were removed still shows its name and size, "ya no disponible", no link', async () => {
    const res = await inbox.postSigned('/api/whatsapp/incoming', {
      MessageSid: newSid('SM'), AccountSid: 'AC' + '0'.repeat(32), From: 'whatsapp:+573114445577', To: OUR_NUMBER, Body: 'Gracias', ProfileName: 'Archivo Viejo', NumMedia: '0',
    });
    assert.equal(res.status, 200);
    const { rows } = await inbox.db.query<{ conversation_id: string; user_id: string }>(
      `SELECT m.conversation_id, (SELECT id FROM users LIMIT 1) AS user_id FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id WHERE k.phone = '+573114445577'`);
    await messageRepository.insertPanelMessage(inbox.db, {
      conversationId: rows[0]!.conversation_id, body: null, contentSid: null, contentVariables: null, sentBy: rows[0]!.user_id, businessAddress: null, messagingServiceSid: null,
      media: [{ url: null, contentType: 'application/pdf', stored: true, removed: true, filename: 'certificado-aptitud.pdf', size: 600_000 }],
    });
    await page.goto(inbox.baseUrl);
    await conversationItem(page, 'Archivo Viejo').click();
    const removed = page.locator('[data-testid="message-media"][data-kind="removed"]');
    await removed.waitFor({ timeout: 10_000 });
    assert.equal((await removed.innerText()).replace(/\s+/g, ' ').trim(), '📄 certificado-aptitud.pdf · 586 KB · ya no disponible');
    assert.equal(await removed.locator('a, img').count(), 0, 'nothing to open');
  });
});

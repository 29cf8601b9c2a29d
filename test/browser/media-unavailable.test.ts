import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
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
    await unavailable.waitFor({ timeout: 5_000 });
    assert.equal((await unavailable.innerText()).trim().replace(/^📎\s*/, ''), 'Archivo no disponible');
    assert.equal(await unavailable.locator('a, img').count(), 0, 'nothing to open');
    assert.equal(await page.locator('[data-testid="message-media"][data-kind="file"]').count(), 1, 'the other item is still a download');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import twilio from 'twilio';
import { createTwilioHttpClient } from '../../src/twilio/http-client.ts';
import { databaseKinds } from '../support/databases.ts';
import { solidPng, startImageServer, type ImageServer } from '../support/image-server.ts';
import { ADMIN, OUR_NUMBER, startTestInbox, waitFor, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

describe('a photo sent from outside, in Chromium', { skip, timeout: 240_000 }, () => {
  let inbox: TestInbox;
  let site: ImageServer;
  let browser: Browser;
  let page: Page;
  let wix: ReturnType<typeof twilio>;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 10 } });
    site = await startImageServer({
      '/fotos/examen.png': { bytes: solidPng(40, 30, [20, 120, 200]), contentType: 'image/png' },
      '/docs/certificado.pdf': { bytes: Buffer.from('%PDF-1.1\n%%EOF\n'), contentType: 'application/pdf' },
    });
    // The Wix site sends straight to (the local) Twilio with the account's credentials.
    wix = twilio(inbox.accountSid, inbox.authToken, { httpClient: createTwilioHttpClient({ apiUrl: inbox.local.url, timeoutMs: 10_000 }) });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
    await site?.close();
  });

  const sendPhoto = (to: string) => wix.messages.create({ from: OUR_NUMBER, to, mediaUrl: [`${site.url}/fotos/examen.png`] });

  test('in the list, a media-only outside send is previewed as a photo, not as a template', async () => {
    await inbox.local.simulateInbound({ from: 'whatsapp:+573202220001', body: 'Quedo atenta al resultado', profileName: 'Laura Foto' });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
    const item = conversationItem(page, 'Laura Foto');
    await item.waitFor({ timeout: 120_000 });
    // Twilio takes its time listing the media: the list has shown the new message (still loading)
    // before they come, so they reach the preview as a change of that message.
    inbox.local.injectFault({ delayMs: 1_500, pathContains: '/Media.json' });
    await sendPhoto('whatsapp:+573202220001');
    const preview = item.getByTestId('conversation-preview');
    try {
      await waitFor(async () => (await preview.innerText()).includes('📷 Foto'), 'the photo label in the preview', 30_000);
    } finally {
      inbox.local.injectFault(null);
    }
    assert.doesNotMatch(await preview.innerText(), /Plantilla/);
  });

  test('a document sent with no text is previewed as a document', async () => {
    await inbox.local.simulateInbound({ from: 'whatsapp:+573202220003', body: 'Necesito el certificado de aptitud laboral', profileName: 'Sofía Documento' });
    const item = conversationItem(page, 'Sofía Documento');
    await item.waitFor({ timeout: 120_000 });
    await wix.messages.create({ from: OUR_NUMBER, to: 'whatsapp:+573202220003', mediaUrl: [`${site.url}/docs/certificado.pdf`] });
    const preview = item.getByTestId('conversation-preview');
    await waitFor(async () => (await preview.innerText()).includes('📄 Documento'), 'the document label in the preview', 30_000);
  });

  test('in the open chat, the photo arrives live and is drawn (its pixels came through the proxy)', async () => {
    await inbox.local.simulateInbound({ from: 'whatsapp:+573202220002', body: '¿Me manda la foto del examen?', profileName: 'Pedro Foto' });
    const item = conversationItem(page, 'Pedro Foto');
    await item.waitFor({ timeout: 120_000 });
    await item.click();
    await page.getByTestId('message-body').filter({ hasText: '¿Me manda la foto del examen?' }).waitFor({ timeout: 120_000 });
    await sendPhoto('whatsapp:+573202220002');
    const image = page.locator('[data-testid="message-bubble"][data-source="external"] [data-testid="message-media"][data-kind="image"] img');
    await image.waitFor({ timeout: 30_000 });
    await page.waitForFunction((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0, await image.elementHandle(), { timeout: 30_000 });
    assert.equal(await image.evaluate((img) => (img as HTMLImageElement).naturalWidth), 40, 'the site\'s 40×30 photo, not a stand-in');
    assert.match(await image.getAttribute('src') ?? '', /^\/api\/media\/[0-9a-f-]{36}\/0$/);
    const bubble = page.locator('[data-testid="message-bubble"][data-source="external"]');
    assert.equal(await bubble.getByTestId('message-body').count(), 0, 'no template label under the photo');
  });
});

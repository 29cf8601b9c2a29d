import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, waitFor, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const PNG_PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(30_000)]);

describe('sending files from the panel in Chromium', { skip, timeout: 300_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 20, statuses: ['sent', 'delivered'] } });
    await inbox.local.simulateInbound({ from: 'whatsapp:+573185550101', body: 'Necesito el certificado de aptitud laboral', profileName: 'Paciente Adjuntos' });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await conversationItem(page, 'Paciente Adjuntos').click({ timeout: 120_000 });
    await page.locator('[data-testid="composer"][data-window="open"]').waitFor({ timeout: 120_000 });
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const dialogClosed = () => page.locator('[data-testid="attach-preview"]').waitFor({ state: 'detached', timeout: 60_000 });

  test('a PDF attached with 📎: preview, caption, send; the bubble shows its name and reaches delivered', async () => {
    await page.locator('[data-testid="attach-input"]').setInputFiles({ name: 'certificado-aptitud.pdf', mimeType: 'application/pdf', buffer: pdf() });
    const preview = page.locator('[data-testid="attach-preview"]');
    await preview.waitFor({ timeout: 60_000 });
    assert.equal((await preview.locator('[data-testid="attach-file"]').innerText()).trim().replace(/^📄\s*/, ''), 'certificado-aptitud.pdf');
    assert.match(await preview.locator('[data-testid="attach-meta"]').innerText(), /application\/pdf · 29 KB/);
    await preview.locator('[data-testid="attach-caption"]').fill('Su certificado de aptitud laboral');
    await preview.locator('[data-testid="attach-send"]').click();
    await dialogClosed();

    const bubble = page.locator('[data-testid="message-bubble"]', { has: page.locator('[data-testid="media-filename"]', { hasText: 'certificado-aptitud.pdf' }) });
    await bubble.waitFor({ timeout: 60_000 });
    assert.equal(await bubble.locator('[data-testid="message-body"]').innerText(), 'Su certificado de aptitud laboral');
    await page.locator('[data-testid="message-bubble"][data-status="delivered"]', { has: page.locator('[data-testid="media-filename"]') }).waitFor({ timeout: 60_000 });
    const href = await bubble.locator('a[data-kind="file"]').getAttribute('href');
    assert.match(href ?? '', /^\/api\/media\/[0-9a-f-]{36}\/0$/);
  });

  test('a PNG dropped on the chat: preview with its picture, send; the image shows in the chat', async () => {
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'radiografia.png', { type: 'image/png' }));
      const chat = document.querySelector('[data-testid="chat"]')!;
      chat.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      chat.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, PNG_PIXEL);
    const preview = page.locator('[data-testid="attach-preview"]');
    await preview.waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => ((document.querySelector('[data-testid="attach-thumb"]') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0, null, { timeout: 60_000 });
    await preview.locator('[data-testid="attach-send"]').click();
    await dialogClosed();
    const image = page.locator('[data-testid="message-media"][data-kind="image"] img');
    await image.first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="message-media"][data-kind="image"] img') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 60_000 });
    const { rows } = await inbox.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outgoing_media WHERE content_type = 'image/png'`);
    assert.equal(rows[0]!.n, 1);
  });

  test('a text file without a caption: the chat list shows its name as the last message', async () => {
    await page.locator('[data-testid="attach-input"]').setInputFiles({ name: 'indicaciones.txt', mimeType: 'text/plain', buffer: Buffer.from('Ayuno de 8 horas antes del examen.\n') });
    const preview = page.locator('[data-testid="attach-preview"]');
    await preview.locator('[data-testid="attach-send"]').click({ timeout: 60_000 });
    await dialogClosed();
    await page.locator('[data-testid="media-filename"]', { hasText: 'indicaciones.txt' }).waitFor({ timeout: 60_000 });
    await conversationItem(page, 'Paciente Adjuntos').filter({ hasText: '📄 indicaciones.txt' }).waitFor({ timeout: 60_000 });
  });

  test('a renamed executable is refused with the Spanish reason, and nothing is sent', async () => {
    const before = (await inbox.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outgoing_media')).rows[0]!.n;
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(8), Buffer.from([0x02, 0x00, 0x3e, 0x00]), randomBytes(4_000)]);
    await page.locator('[data-testid="attach-input"]').setInputFiles({ name: 'informe.pdf', mimeType: 'application/pdf', buffer: elf });
    const preview = page.locator('[data-testid="attach-preview"]');
    await preview.locator('[data-testid="attach-send"]').click({ timeout: 60_000 });
    const error = preview.locator('[data-testid="attach-error"]');
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.innerText(), /Este tipo de archivo no se puede enviar por WhatsApp/);
    await preview.locator('[data-testid="attach-cancel"]').click();
    await dialogClosed();
    await waitFor(async () => (await inbox.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outgoing_media')).rows[0]!.n === before, 'nothing kept');
  });
});

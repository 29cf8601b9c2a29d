import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// What the panel says, read as a clinic's front desk reads it, in Spanish and in English.
describe('the panel\'s wording in Chromium', { skip, timeout: 120_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;
  const phone = '+573009998877';

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, lifecycle: { delayMs: 20 } });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    // A campaign from the Wix site: three messages from outside in a row, then a patient's answer and one more.
    for (const body of ['Recordatorio 1', 'Recordatorio 2', 'Recordatorio 3']) {
      await inbox.local.simulateExternalSend({ to: `whatsapp:${phone}`, body });
    }
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('"sent from outside" is explained once under a run of outside messages, and kept as the label\'s tooltip on each', async () => {
    await conversationItem(page, '+57 300 999 8877').click();
    const bubbles = page.getByTestId('message-bubble').filter({ hasText: 'Recordatorio' });
    // Their texts come a moment after the bubbles (fetched from Twilio): wait for both.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="message-bubble"][data-source="external"]')]
      .filter((b) => b.textContent?.includes('Recordatorio')).length === 3, undefined, { timeout: 10_000 });
    assert.equal(await bubbles.count(), 3);
    assert.equal(await page.getByTestId('external-hint').count(), 1, 'one explanation for the run');
    assert.match(await bubbles.first().getByTestId('external-hint').innerText(), /fuera del panel/);
    for (const label of await page.getByTestId('message-source').all()) assert.match((await label.getAttribute('title')) ?? '', /fuera del panel/);
  });

  test('hidden templates are counted in words (one pending template: singular), in both languages', async () => {
    // The conversation has no customer message, so its window is closed and the picker opens.
    await page.getByTestId('open-templates').click();
    assert.equal(await page.getByTestId('templates-hidden').innerText(), '1 plantilla sin aprobar no se muestra.');
    await page.getByTestId('language-select').selectOption('en');
    assert.equal(await page.getByTestId('templates-hidden').innerText(), '1 template not approved yet is hidden.');
    await page.getByTestId('language-select').selectOption('es');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// On a 390 × 844 phone the Spanish header took three rows (110 px) before any content.
describe('the header on a phone, in Chromium', { skip, timeout: 120_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;
  let page: Page;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  test('one row: the brand and a menu button; the links, language, user and logout open from the menu', async () => {
    const header = page.getByTestId('app-header');
    const box = (await header.boundingBox())!;
    assert.ok(box.height <= 60, `the header is one row (${box.height} px high)`);
    assert.equal(await page.getByTestId('nav-users').isVisible(), false, 'the links wait in the menu');
    assert.equal(await page.getByTestId('logout-button').isVisible(), false);

    await page.getByTestId('header-menu-button').click();
    assert.equal(await page.getByTestId('header-menu-button').getAttribute('aria-expanded'), 'true');
    assert.ok(await page.getByTestId('current-user').isVisible(), 'who is signed in shows in the menu');
    await page.getByTestId('nav-users').click();
    await page.waitForURL(/\/users$/);
    assert.equal(await page.getByTestId('nav-users').isVisible(), false, 'choosing a link closes the menu');

    await page.getByTestId('header-menu-button').click();
    await page.keyboard.press('Escape');
    assert.equal(await page.getByTestId('logout-button').isVisible(), false, 'Escape closes the menu');

    await page.getByTestId('header-menu-button').click();
    await page.getByTestId('logout-button').click();
    await page.getByTestId('login-form').waitFor();
  });

  test('on a wide screen everything stays in the bar, with no menu button', async () => {
    const wide = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(wide, inbox.baseUrl, ADMIN.email, ADMIN.password);
    assert.equal(await wide.getByTestId('header-menu-button').isVisible(), false);
    for (const id of ['nav-users', 'nav-audit', 'language-select', 'current-user', 'logout-button']) {
      assert.ok(await wide.getByTestId(id).isVisible(), `${id} is in the bar`);
    }
    assert.ok(((await wide.getByTestId('app-header').boundingBox())!.height) <= 60);
    await wide.close();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from '../support/inbox.ts';
import { launchChromium, logIn } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;
const TEAM = ['Laura Gómez', 'Pedro Ruiz', 'Marta Díaz', 'Andrés Castro', 'Sofía Herrera', 'Julián Mora', 'Camila Rojas', 'Valentina Ospina Restrepo'];

/** Scrolled into view, the element has a size and lies inside the viewport. */
async function assertOnScreen(page: Page, element: Locator, what: string): Promise<void> {
  await element.scrollIntoViewIfNeeded();
  const box = await element.boundingBox();
  const { width, height } = page.viewportSize()!;
  assert.ok(box, `${what}: rendered`);
  assert.ok(box.width > 0 && box.height > 0, `${what}: ${box.width} × ${box.height} px`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5,
    `${what}: inside the ${width} × ${height} viewport (${JSON.stringify(box)})`);
  // Nothing covers or clips it: what the eye sees at its middle is the element itself.
  const seen = await element.evaluate((el, at) => {
    const top = document.elementFromPoint(at.x, at.y);
    return top !== null && (el === top || el.contains(top));
  }, { x: box.x + box.width / 2, y: box.y + box.height / 2 });
  assert.ok(seen, `${what}: visible at its middle, not clipped or covered`);
}

/** Boxes that scroll their own rows cut the page short without a hint: each table must show all of it. */
async function assertNoInnerVerticalScroll(page: Page, testId: string): Promise<void> {
  const cut = await page.getByTestId(testId).evaluate((table) => {
    const cuts: string[] = [];
    for (let el = table.parentElement; el && !el.matches('.page'); el = el.parentElement) {
      if (el.scrollHeight > el.clientHeight + 1) cuts.push(`${el.className}: ${el.clientHeight} of ${el.scrollHeight} px`);
    }
    return cuts;
  });
  assert.deepEqual(cut, [], `${testId}: no box between it and the page scrolls (or hides) its rows`);
}

// The users table collapsed to 0 px on a 390 × 844 phone and showed 4 of 8 users at 1280 × 800,
// its other rows hidden in a box of its own with no scroll hint.
describe('the Usuarios and Auditoría pages on a phone and a short window, in Chromium', { skip, timeout: 180_000 }, () => {
  let inbox: TestInbox;
  let browser: Browser;

  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false });
    const session = await inbox.login();
    for (const [i, name] of TEAM.entries()) {
      const res = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ email: `persona${i}@clinica.test`, name, password: 'a-long-enough-password', role: 'agent' }),
      });
      assert.equal(res.status, 201);
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await inbox?.close();
  });

  const open = async (viewport: { width: number; height: number }, path: string, phone: boolean) => {
    const page = await browser.newPage({ locale: 'es-CO', viewport, ...(phone ? { isMobile: true, hasTouch: true } : {}) });
    await logIn(page, inbox.baseUrl, ADMIN.email, ADMIN.password);
    await page.goto(inbox.baseUrl + path);
    return page;
  };

  test('390 × 844: every user\'s name, role and actions show on screen', async () => {
    const page = await open({ width: 390, height: 844 }, '/users', true);
    try {
      const rows = page.getByTestId('user-row');
      await rows.nth(TEAM.length).waitFor();
      assert.equal(await rows.count(), TEAM.length + 1, 'the admin and the team');
      for (const name of TEAM) {
        const row = rows.filter({ hasText: name });
        await assertOnScreen(page, row.getByTestId('user-name'), name);
        await assertOnScreen(page, row.getByTestId('user-toggle-disabled'), `${name}'s Desactivar`);
      }
      await assertNoInnerVerticalScroll(page, 'users-table');
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(pageWidth <= 390, `nothing pushes the page sideways (${pageWidth} px wide)`);
    } finally {
      await page.close();
    }
  });

  test('1280 × 800: the page itself scrolls to the last of the users, who can be acted on', async () => {
    const page = await open({ width: 1280, height: 800 }, '/users', false);
    try {
      const last = page.getByTestId('user-row').filter({ hasText: TEAM.at(-1)! });
      await last.waitFor();
      await assertNoInnerVerticalScroll(page, 'users-table');
      await assertOnScreen(page, last.getByTestId('user-name'), 'the last user');
      await last.getByTestId('user-reset-password').click();
      await assertOnScreen(page, last.getByTestId('user-new-password'), 'the last user\'s new password field');
      // The settings at the bottom are reachable too.
      await assertOnScreen(page, page.getByTestId('setting-reply-takes'), 'the last setting');
    } finally {
      await page.close();
    }
  });

  test('390 × 844: every Auditoría row shows with its action and who did it', async () => {
    const page = await open({ width: 390, height: 844 }, '/audit', true);
    try {
      const rows = page.getByTestId('audit-row');
      await rows.nth(TEAM.length - 1).waitFor();
      const n = await rows.count();
      assert.ok(n >= TEAM.length, `one row per user created (${n})`);
      for (let i = 0; i < n; i++) {
        await assertOnScreen(page, rows.nth(i).getByTestId('audit-action'), `row ${i}'s action`);
        await assertOnScreen(page, rows.nth(i).getByTestId('audit-target'), `row ${i}'s target`);
      }
      assert.equal(await rows.first().getByTestId('audit-action').innerText(), 'Usuario creado');
      await assertNoInnerVerticalScroll(page, 'audit-table');
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(pageWidth <= 390, `nothing pushes the page sideways (${pageWidth} px wide)`);
    } finally {
      await page.close();
    }
  });
});

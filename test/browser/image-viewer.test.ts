import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from '../support/inbox.ts';
import { chromiumSuite, conversationItem } from './browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

// A patient sends photos of their documents: a click opens one large, the arrows step through the
// chat's photos, and everything comes through the session-checked media route.
describe('the chat\'s image viewer in Chromium', { skip, timeout: 180_000 }, () => {
  const s = chromiumSuite({
    seed: async (inbox) => {
      for (const n of [1, 2, 3]) {
        await inbox.local.simulateInbound({ from: 'whatsapp:+573206660001', body: `Foto ${n}`, profileName: 'Galería Ruiz', media: [{ contentType: 'image/png' }] });
      }
      await inbox.local.simulateInbound({ from: 'whatsapp:+573206660001', body: 'Y un video', profileName: 'Galería Ruiz', media: [{ contentType: 'video/mp4' }] });
    },
  });

  const title = () => s.page.getByTestId('image-viewer').locator('h2').innerText();

  test('a click opens the photo large; the arrows and the keys step through the chat\'s photos; Escape closes', async () => {
    await conversationItem(s.page, 'Galería Ruiz').click();
    const images = s.page.locator('[data-testid="message-media"][data-kind="image"]');
    await waitFor(async () => (await images.count()) === 3, 'three photos in the chat', 30_000);
    await images.nth(1).click();
    const viewer = s.page.getByTestId('image-viewer');
    await viewer.waitFor();
    assert.equal(await title(), 'Imagen 2 de 3');
    await waitFor(() => s.page.getByTestId('image-viewer-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the photo drawn', 10_000);
    assert.match((await s.page.getByTestId('image-viewer-image').getAttribute('src'))!, /^\/api\/media\//, 'through the session-checked route');

    await s.page.getByTestId('image-viewer-next').click();
    assert.equal(await title(), 'Imagen 3 de 3');
    assert.equal(await s.page.getByTestId('image-viewer-next').isDisabled(), true, 'no photo after the last');
    await s.page.keyboard.press('ArrowLeft');
    await s.page.keyboard.press('ArrowLeft');
    await waitFor(async () => (await title()) === 'Imagen 1 de 3', 'back to the first photo');
    assert.equal(await s.page.getByTestId('image-viewer-previous').isDisabled(), true, 'no photo before the first');
    await s.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    assert.equal(s.page.url().endsWith('/'), false, 'the chat is still open');
  });

  test('a video plays inline with its controls', async () => {
    const video = s.page.locator('[data-testid="message-media"][data-kind="video"] video');
    await video.waitFor();
    assert.equal(await video.getAttribute('controls'), '');
    assert.match((await video.getAttribute('src'))!, /^\/api\/media\//);
  });
});

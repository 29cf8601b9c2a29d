import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mediaTypeFromHead } from '../src/messages/outgoing-media.ts';

/** The start of an ISO MP4 as a browser's MediaRecorder writes it: an `ftyp` box with brand isom, then `moov`. */
function isoMp4Head(): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2', 'latin1')]);
  const moov = Buffer.concat([Buffer.from([0, 0, 0, 0x10]), Buffer.from('moov', 'latin1'), Buffer.alloc(8)]);
  return Buffer.concat([ftyp, moov]);
}

// Safari records voice notes as AAC in MP4, which WhatsApp takes as audio; from its bytes alone an
// MP4 reads as video.
describe('the type a voice note is sent with', () => {
  test('an MP4 the browser recorded as audio goes as audio/mp4; otherwise an MP4 stays video/mp4', async () => {
    assert.equal(await mediaTypeFromHead(isoMp4Head(), 'audio/mp4'), 'audio/mp4');
    assert.equal(await mediaTypeFromHead(isoMp4Head(), 'audio/mp4;codecs=mp4a.40.2'), 'audio/mp4');
    assert.equal(await mediaTypeFromHead(isoMp4Head(), 'video/mp4'), 'video/mp4');
    assert.equal(await mediaTypeFromHead(isoMp4Head(), null), 'video/mp4');
  });

  test('a WebM recording (Chromium\'s own format) is refused: the panel must remux it to Ogg first', async () => {
    const webmHead = Buffer.from('1a45dfa39f4286810142f7810142f2810442f381084282847765626d', 'hex');
    await assert.rejects(mediaTypeFromHead(webmHead, 'audio/webm'), { code: 'unsupported_media' });
  });
});

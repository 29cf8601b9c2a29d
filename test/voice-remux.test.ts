import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fileTypeFromBuffer } from 'file-type';
import type { Browser, Page } from 'playwright-core';
import { mediaTypeFromHead } from '../src/messages/outgoing-media.ts';
import { opusPacketSamples, WebmRemuxError, webmToOgg } from '../web/src/voice/webm-to-ogg.ts';
import { fakeMicrophone, launchChromium } from './browser/browser.ts';

const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here' : false;

/** Ogg's CRC-32 written out bit by bit (not the module's table), over the page with its CRC field zero. */
function pageCrc(page: Buffer): number {
  const copy = Buffer.from(page);
  copy.writeUInt32LE(0, 22);
  let crc = 0;
  for (const byte of copy) {
    crc ^= byte << 24;
    for (let i = 0; i < 8; i++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc >>> 0;
}

interface OggPage { flags: number; granule: bigint; serial: number; sequence: number; crc: number; computedCrc: number; packets: Buffer[] }

/** Every page of an Ogg file, with its packets (a packet ends on a lacing value under 255). */
function readOggPages(file: Buffer): OggPage[] {
  const pages: OggPage[] = [];
  let at = 0;
  while (at < file.length) {
    assert.equal(file.toString('latin1', at, at + 4), 'OggS', `a page starts at byte ${at}`);
    assert.equal(file[at + 4], 0, 'stream structure version 0');
    const count = file[at + 26]!;
    const lacing = [...file.subarray(at + 27, at + 27 + count)];
    const bodyLength = lacing.reduce((n, l) => n + l, 0);
    const end = at + 27 + count + bodyLength;
    assert.ok(end <= file.length, 'the page is whole');
    const packets: Buffer[] = [];
    let body = at + 27 + count;
    let start = body;
    for (const l of lacing) {
      body += l;
      if (l < 255) {
        packets.push(file.subarray(start, body));
        start = body;
      }
    }
    assert.equal(start, body, 'no packet continues onto the next page');
    const page = file.subarray(at, end);
    pages.push({
      flags: file[at + 5]!, granule: file.readBigUInt64LE(at + 6), serial: file.readUInt32LE(at + 14), sequence: file.readUInt32LE(at + 18),
      crc: file.readUInt32LE(at + 22), computedCrc: pageCrc(page), packets,
    });
    at = end;
  }
  return pages;
}

// A voice note as Chromium's MediaRecorder writes it (WebM, Opus), recorded from Chromium's fake
// microphone, remuxed to Ogg, and both decoded by Chromium.
describe('WebM/Opus from Chromium remuxed to Ogg/Opus', { skip, timeout: 120_000 }, () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let webm: Buffer;
  let ogg: Buffer;

  before(async () => {
    // getUserMedia needs a secure context: a page of our own on 127.0.0.1.
    server = createServer((_req, res) => res.setHeader('content-type', 'text/html').end('<!doctype html><title>voz</title>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium(fakeMicrophone());
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const recorded = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const recorder = new MediaRecorder(stream, { mimeType: 'audio/webm;codecs=opus', audioBitsPerSecond: 32_000 });
      const parts: Blob[] = [];
      recorder.ondataavailable = (e) => parts.push(e.data);
      recorder.start(500);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await new Promise((resolve) => {
        recorder.onstop = resolve;
        recorder.stop();
      });
      for (const track of stream.getTracks()) track.stop();
      const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
      let binary = '';
      for (const b of bytes) binary += String.fromCharCode(b);
      return { type: recorder.mimeType, base64: btoa(binary) };
    });
    assert.match(recorded.type, /^audio\/webm/);
    webm = Buffer.from(recorded.base64, 'base64');
    ogg = Buffer.from(webmToOgg(webm));
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  const decodedSeconds = (bytes: Buffer) => page.evaluate(async (base64) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const audio = await new OfflineAudioContext(1, 1, 48000).decodeAudioData(data.buffer);
    return audio.duration;
  }, bytes.toString('base64'));

  test('the output is a valid Ogg Opus stream: CRCs, OpusHead then OpusTags, granules increasing, EOS last', async () => {
    assert.equal(webm.readUInt32BE(0), 0x1a45dfa3, 'the input is the WebM Chromium wrote');
    const pages = readOggPages(ogg);
    assert.ok(pages.length >= 3);
    pages.forEach((p, i) => {
      assert.equal(p.crc, p.computedCrc, `page ${i}'s CRC checks`);
      assert.equal(p.sequence, i, 'pages are numbered in order');
      assert.equal(p.serial, pages[0]!.serial, 'one logical stream');
      assert.equal(Boolean(p.flags & 0x02), i === 0, 'only the first page begins the stream');
      assert.equal(Boolean(p.flags & 0x04), i === pages.length - 1, 'only the last page ends it');
      assert.equal(p.flags & 0x01, 0, 'no packet spans pages');
    });
    const [head, tags, ...audio] = pages;
    assert.equal(head!.packets.length, 1);
    assert.equal(head!.packets[0]!.toString('latin1', 0, 8), 'OpusHead');
    assert.equal(head!.packets[0]![8], 1, 'OpusHead version 1');
    assert.equal(head!.granule, 0n);
    assert.equal(tags!.packets.length, 1);
    assert.equal(tags!.packets[0]!.toString('latin1', 0, 8), 'OpusTags');
    assert.equal(tags!.granule, 0n);
    let previous = 0n;
    for (const p of audio) {
      assert.ok(p.granule > previous, 'granule positions increase');
      previous = p.granule;
    }
    const preSkip = head!.packets[0]!.readUInt16LE(10);
    const packets = audio.flatMap((p) => p.packets);
    assert.equal(BigInt(preSkip + packets.reduce((n, p) => n + opusPacketSamples(p), 0)), previous, 'the last granule counts every sample');
    assert.ok(packets.every((p) => webm.includes(p)), 'the Opus packets are copied, not re-encoded');
    assert.deepEqual(await fileTypeFromBuffer(ogg), { ext: 'opus', mime: 'audio/ogg; codecs=opus' });
    assert.equal(await mediaTypeFromHead(ogg, 'audio/ogg'), 'audio/ogg', 'the server takes it as what WhatsApp wants');
  });

  test('Chromium decodes the Ogg to the length of the recording', async (t) => {
    const fromWebm = await decodedSeconds(webm);
    const fromOgg = await decodedSeconds(ogg);
    t.diagnostic(`decoded: WebM ${fromWebm.toFixed(3)} s, Ogg ${fromOgg.toFixed(3)} s; ${webm.length} → ${ogg.length} bytes`);
    assert.ok(fromWebm > 2.5, `about 3 s recorded (${fromWebm} s)`);
    assert.ok(Math.abs(fromOgg - fromWebm) < 0.1, `the Ogg lasts ${fromOgg} s, the WebM ${fromWebm} s`);
  });

  test('what is not a WebM with Opus is refused with a reason', () => {
    assert.throws(() => webmToOgg(new Uint8Array(ogg)), (err: unknown) => err instanceof WebmRemuxError && /not a WebM/.test(err.message));
    // A WebM with its Opus track's codec renamed: no Opus track.
    const renamed = Buffer.from(webm);
    renamed.write('A_VRBS', renamed.indexOf('A_OPUS'), 'latin1');
    assert.throws(() => webmToOgg(renamed), (err: unknown) => err instanceof WebmRemuxError && /no Opus audio track/.test(err.message));
  });
});

describe('opusPacketSamples reads a packet\'s length from its TOC byte', () => {
  test('SILK, hybrid and CELT frame sizes, one to several frames', () => {
    assert.equal(opusPacketSamples(Uint8Array.of(0x08)), 960, 'SILK 20 ms, one frame');
    assert.equal(opusPacketSamples(Uint8Array.of(0x18)), 2880, 'SILK 60 ms, one frame');
    assert.equal(opusPacketSamples(Uint8Array.of(0x79)), 1920, 'hybrid 20 ms, two frames');
    assert.equal(opusPacketSamples(Uint8Array.of(0xfb, 0x03)), 2880, 'CELT 20 ms, three frames (code 3)');
    assert.equal(opusPacketSamples(Uint8Array.of(0x80)), 120, 'CELT 2.5 ms');
    assert.equal(opusPacketSamples(new Uint8Array(0)), 0);
  });
});

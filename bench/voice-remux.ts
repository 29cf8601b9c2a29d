// Voice notes (figures, not assertions): how long the panel takes to repackage the longest voice
// note Chromium can record (15 minutes, WebM/Opus at 32 kb/s, laid out as Chromium writes it:
// Segment and Clusters of unknown size, one 60 ms packet per SimpleBlock) into Ogg/Opus.
import { randomBytes } from 'node:crypto';
import { webmToOgg } from '../web/src/voice/webm-to-ogg.ts';
import { fmt, percentile } from './support.ts';

const MINUTES = 15;
const PACKET_MS = 60;
const PACKET_BYTES = (32_000 / 8) * (PACKET_MS / 1000); // 32 kb/s
const RUNS = 15;

const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
function size(n: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(n) | (1n << 56n)); // 8-byte EBML length
  return out;
}
const element = (id: number[], ...data: Buffer[]) => Buffer.concat([Buffer.from(id), size(data.reduce((n, d) => n + d.length, 0)), ...data]);
const uint = (id: number[], value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return element(id, bytes);
};

function chromiumLikeWebm(): Buffer {
  const opusHead = Buffer.from('4f707573486561640101380180bb0000000000', 'hex'); // OpusHead, mono, pre-skip 312, 48 kHz
  const parts: Buffer[] = [
    element([0x1a, 0x45, 0xdf, 0xa3], element([0x42, 0x82], Buffer.from('webm'))),
    Buffer.from([0x18, 0x53, 0x80, 0x67]), UNKNOWN_SIZE,
    element([0x16, 0x54, 0xae, 0x6b], element([0xae], uint([0xd7], 1), element([0x86], Buffer.from('A_OPUS')), element([0x63, 0xa2], opusHead))),
  ];
  const packets = (MINUTES * 60_000) / PACKET_MS;
  for (let i = 0; i < packets; i++) {
    const inCluster = i % 16;
    if (inCluster === 0) parts.push(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), UNKNOWN_SIZE, uint([0xe7], i * PACKET_MS));
    const timecode = inCluster * PACKET_MS; // 16 bits, from the cluster's
    const block = Buffer.concat([Buffer.from([0x81, timecode >> 8, timecode & 0xff, 0x80, 0xfb, 0x03]), randomBytes(PACKET_BYTES - 2)]);
    parts.push(element([0xa3], block));
  }
  return Buffer.concat(parts);
}

const webm = chromiumLikeWebm();
const times: number[] = [];
let oggBytes = 0;
for (let i = 0; i < RUNS; i++) {
  const started = performance.now();
  oggBytes = webmToOgg(webm).length;
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(`Voice note remux, ${MINUTES} min WebM/Opus (${fmt(webm.length / 1024 / 1024)} MB) → Ogg/Opus (${fmt(oggBytes / 1024 / 1024)} MB):`);
console.log(`  median ${fmt(percentile(times, 50))} ms, fastest ${fmt(times[0]!)} ms, slowest ${fmt(times.at(-1)!)} ms over ${RUNS} runs`);

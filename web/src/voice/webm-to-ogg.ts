// WhatsApp takes voice notes as Opus in Ogg, but Chromium's MediaRecorder only writes Opus in WebM.
// The Opus packets are the same in both: this copies them out of the WebM (Matroska) blocks into Ogg
// pages (RFC 7845), without decoding or re-encoding anything.

/** Not a WebM holding Opus audio that this remux understands; the message says what was wrong. */
export class WebmRemuxError extends Error {}

// Matroska element IDs (with their length marker bits, as written in the file).
const ID = {
  segment: 0x18538067,
  cluster: 0x1f43b675,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  audio: 0xe1,
  blockGroup: 0xa0,
  trackNumber: 0xd7,
  codecId: 0x86,
  codecPrivate: 0x63a2,
  codecDelay: 0x56aa,
  samplingFrequency: 0xb5,
  channels: 0x9f,
  simpleBlock: 0xa3,
  block: 0xa1,
} as const;
// Masters whose children are read in place (a live recording leaves Segment and Cluster sizes unknown).
const MASTERS: ReadonlySet<number> = new Set([ID.segment, ID.cluster, ID.tracks, ID.trackEntry, ID.audio, ID.blockGroup]);

interface Track {
  number: number;
  codecId: string;
  codecPrivate: Uint8Array | null;
  codecDelayNs: number;
  sampleRate: number;
  channels: number;
}

/** Remuxes a WebM with one Opus audio track into an Ogg Opus file (`audio/ogg; codecs=opus`). */
export function webmToOgg(webm: Uint8Array): Uint8Array<ArrayBuffer> {
  const { track, packets } = readWebm(webm);
  if (packets.length === 0) throw new WebmRemuxError('the recording holds no audio');
  return writeOgg(opusHead(track), packets);
}

// ---- reading WebM ----

/** An EBML variable-length integer at `at`: its value (marker bit removed, or kept for IDs) and length. */
function readVint(bytes: Uint8Array, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } {
  const first = bytes[at];
  if (first === undefined) throw new WebmRemuxError('the file ends inside an element header');
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || at + length > bytes.length) throw new WebmRemuxError('malformed element header');
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    const b = bytes[at + i]!;
    value = value * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function readUint(bytes: Uint8Array): number {
  let value = 0;
  for (const b of bytes) value = value * 256 + b;
  return value;
}

function readFloat(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length === 4) return view.getFloat32(0);
  if (bytes.length === 8) return view.getFloat64(0);
  return 0;
}

function readWebm(bytes: Uint8Array): { track: Track; packets: Uint8Array[] } {
  if (readUint(bytes.subarray(0, 4)) !== 0x1a45dfa3) throw new WebmRemuxError('not a WebM file');
  const tracks: Track[] = [];
  let current: Track | null = null;
  // Blocks by track number: which track is the Opus one is known only once Tracks has been read.
  const blocks: { track: number; packet: Uint8Array }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const id = readVint(bytes, at, true);
    if (at + id.length >= bytes.length) break; // a trailing partial header: the recorder stopped mid-write
    const size = readVint(bytes, at + id.length, false);
    const start = at + id.length + size.length;
    if (MASTERS.has(id.value)) {
      if (id.value === ID.trackEntry) {
        current = { number: 0, codecId: '', codecPrivate: null, codecDelayNs: 0, sampleRate: 48000, channels: 1 };
        tracks.push(current);
      }
      at = start;
      continue;
    }
    if (size.unknown) throw new WebmRemuxError('an element of unknown size that is not a container');
    const end = start + size.value;
    if (end > bytes.length) break; // cut short: keep what was whole
    const data = bytes.subarray(start, end);
    switch (id.value) {
      case ID.trackNumber: if (current) current.number = readUint(data); break;
      case ID.codecId: if (current) current.codecId = new TextDecoder().decode(data); break;
      case ID.codecPrivate: if (current) current.codecPrivate = data; break;
      case ID.codecDelay: if (current) current.codecDelayNs = readUint(data); break;
      case ID.samplingFrequency: if (current) current.sampleRate = readFloat(data); break;
      case ID.channels: if (current) current.channels = readUint(data); break;
      case ID.simpleBlock:
      case ID.block: blocks.push(readBlock(data)); break;
    }
    at = end;
  }
  const track = tracks.find((t) => t.codecId === 'A_OPUS');
  if (!track) throw new WebmRemuxError('the file has no Opus audio track');
  return { track, packets: blocks.filter((b) => b.track === track.number).map((b) => b.packet) };
}

/** A (Simple)Block: track number, 16-bit timecode, flags, then one frame (Chromium never laces). */
function readBlock(data: Uint8Array): { track: number; packet: Uint8Array } {
  const track = readVint(data, 0, false);
  const flags = data[track.length + 2];
  if (flags === undefined) throw new WebmRemuxError('a block too short to hold a frame');
  if (flags & 0x06) throw new WebmRemuxError('laced blocks are not supported');
  return { track: track.value, packet: data.subarray(track.length + 3) };
}

// ---- writing Ogg ----

/** The OpusHead the WebM carries as CodecPrivate, or one built from the track (RFC 7845 §5.1). */
function opusHead(track: Track): Uint8Array {
  const given = track.codecPrivate;
  if (given && given.length >= 19 && new TextDecoder().decode(given.subarray(0, 8)) === 'OpusHead') return given;
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(ascii('OpusHead'), 0);
  head[8] = 1;
  head[9] = track.channels;
  view.setUint16(10, Math.round((track.codecDelayNs * 48000) / 1e9), true);
  view.setUint32(12, track.sampleRate, true);
  return head;
}

function opusTags(): Uint8Array {
  const vendor = ascii('wa-inbox');
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  const view = new DataView(tags.buffer);
  tags.set(ascii('OpusTags'), 0);
  view.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  view.setUint32(12 + vendor.length, 0, true); // no user comments
  return tags;
}

/** Samples (at 48 kHz, as Ogg Opus counts them) in one Opus packet, from its TOC byte (RFC 6716 §3.1). */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const config = toc >> 3;
  let frame: number;
  if (config < 12) frame = [480, 960, 1920, 2880][config & 3]!; // SILK: 10, 20, 40, 60 ms
  else if (config < 16) frame = [480, 960][config & 1]!; // hybrid: 10, 20 ms
  else frame = [120, 240, 480, 960][config & 3]!; // CELT: 2.5, 5, 10, 20 ms
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : (packet[1] ?? 0) & 0x3f;
  return frame * frames;
}

// About a second of audio per page: small pages cost overhead, large ones delay a streaming player.
const PACKETS_PER_PAGE = 50;
const SERIAL = 0x77616962; // any fixed number: the file has one logical stream

function writeOgg(head: Uint8Array, packets: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const pages: Uint8Array[] = [];
  let sequence = 0;
  const page = (contents: Uint8Array[], granule: number, flags: number) => pages.push(oggPage(contents, granule, flags, sequence++));
  page([head], 0, 0x02); // beginning of stream
  page([opusTags()], 0, 0);
  // Granule positions count from the start of decoding, pre-skip included (RFC 7845 §4).
  let granule = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint16(10, true);
  let batch: Uint8Array[] = [];
  let segments = 0;
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i]!;
    const needed = Math.floor(packet.length / 255) + 1;
    if (batch.length && (segments + needed > 255 || batch.length >= PACKETS_PER_PAGE)) {
      page(batch, granule, 0);
      batch = [];
      segments = 0;
    }
    batch.push(packet);
    segments += needed;
    granule += opusPacketSamples(packet);
  }
  page(batch, granule, 0x04); // end of stream
  return concat(pages);
}

/** One Ogg page holding whole packets: header, lacing values, data, and its CRC. */
function oggPage(packets: Uint8Array[], granule: number, flags: number, sequence: number): Uint8Array<ArrayBuffer> {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let n = p.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  const header = new Uint8Array(27 + lacing.length);
  const view = new DataView(header.buffer);
  header.set(ascii('OggS'), 0);
  header[4] = 0; // version
  header[5] = flags;
  view.setUint32(6, granule % 0x100000000, true);
  view.setUint32(10, Math.floor(granule / 0x100000000), true);
  view.setUint32(14, SERIAL, true);
  view.setUint32(18, sequence, true);
  header[26] = lacing.length;
  header.set(lacing, 27);
  const bytes = concat([header, ...packets]);
  new DataView(bytes.buffer).setUint32(22, oggCrc(bytes), true);
  return bytes;
}

// Ogg's CRC-32: polynomial 0x04c11db7, not reflected, starting at 0, over the page with its CRC field zero.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

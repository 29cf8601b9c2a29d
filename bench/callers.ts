// The campaign's callers, in a worker thread of their own. Twilio's callbacks come from other
// machines; here the process that sends them also serves the local Twilio (pages of 1,000
// messages for the servers' list fills), reads the panels' reports and samples /proc. Measured on
// the main thread, its event loop ran up to 15 ms late at p99, and every answer that came in
// meanwhile was timed that much slower than the server gave it. This thread only sends and times.
import { parentPort, workerData } from 'node:worker_threads';
import { RawConnection } from './raw-http.ts';

export interface CallersSetup {
  ports: number[];
  /** Connections per port, each with one callback in flight. */
  concurrency: number;
  /** Callbacks per second; omitted: as fast as the servers answer. */
  rate?: number;
  /** Every request, encoded, back to back (shared, not copied); request i ends at `ends[i]`. */
  bytes: Uint8Array;
  ends: Int32Array;
  /** Written here, shared with the main thread: when request i left (timeOrigin + now, ms), how long its answer took (ms), its status (0: no answer). */
  sentAt: Float64Array;
  latency: Float64Array;
  status: Int16Array;
}

/** `ready`: loaded, waiting for the main thread's 'go'. `started` and `ended` are absolute (timeOrigin + now), as `sentAt`. */
export type CallersReport = { kind: 'ready' } | { kind: 'done'; started: number; ended: number };

const now = () => performance.timeOrigin + performance.now();
const setup = workerData as CallersSetup;
const bytes = Buffer.from(setup.bytes.buffer, setup.bytes.byteOffset, setup.bytes.byteLength);
const request = (i: number) => bytes.subarray(i ? setup.ends[i - 1]! : 0, setup.ends[i]!);
const count = setup.ends.length;
const connections = Array.from({ length: setup.concurrency }, () => setup.ports.map((port) => new RawConnection(port)));

// The main thread reads the machine's CPU counters between 'ready' and 'go': loading this thread is not the campaign's.
parentPort!.postMessage({ kind: 'ready' } satisfies CallersReport);
await new Promise((resolve) => parentPort!.once('message', resolve));
let next = 0;
const started = now();
await Promise.all(connections.map(async (lane, laneIndex) => {
  // Each lane turns through the instances itself, so they share the callbacks evenly. (Choosing by
  // the callback's index plus the lane's sent the lanes' first callbacks all to the first instance,
  // and kept most of them there: the second instance took a small part of the campaign.)
  let turn = laneIndex;
  for (;;) {
    const i = next++;
    if (i >= count) return;
    if (setup.rate) {
      const wait = started + (i * 1000) / setup.rate - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    const t0 = now();
    setup.sentAt[i] = t0;
    setup.status[i] = await lane[turn++ % lane.length]!.send(request(i)).catch(() => 0);
    setup.latency[i] = now() - t0;
  }
}));
const ended = now();
connections.flat().forEach((c) => c.close());
parentPort!.postMessage({ kind: 'done', started, ended } satisfies CallersReport);

// The campaign's panels, in a worker thread of their own: real browsers are other machines, so
// decoding their list batches (hundreds of entries, 21 panels) must not hold up the event loop
// that sends the callbacks and times their answers. Times are absolute (timeOrigin + now), so the
// main thread can compare them with when it sent each callback.
import { parentPort, workerData } from 'node:worker_threads';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../src/contract/api.ts';

export interface PanelClientsSetup {
  url: string;
  cookie: string;
  /** One panel per conversation id, each with that chat open. */
  watch: string[];
}

/** What the worker reports: `shown` entries are [sid, status] pairs seen at `at`; `texts`: the SIDs it showed with their text. */
export type PanelReport =
  | { kind: 'ready' }
  | { kind: 'list'; at: number; shown: [string, string][]; texts: string[]; entries: number }
  | { kind: 'chat'; at: number; shown: [string, string][] }
  | { kind: 'closed' };

const now = () => performance.timeOrigin + performance.now();
const post = (r: PanelReport) => parentPort!.postMessage(r);

async function connect(url: string, cookie: string): Promise<Socket<ServerToClientEvents, ClientToServerEvents>> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connectClient(url, { transports: ['websocket'], extraHeaders: { cookie }, forceNew: true });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  return socket;
}

const setup = workerData as PanelClientsSetup;
const list = await connect(setup.url, setup.cookie);
list.on('list:updated', (update) => {
  const at = now();
  const shown: [string, string][] = [];
  const texts: string[] = [];
  for (const c of update.conversations) {
    if (c.lastMessage?.sid) shown.push([c.lastMessage.sid, c.lastMessage.status]);
    if (c.lastMessage?.sid && c.lastMessage.body) texts.push(c.lastMessage.sid);
  }
  for (const m of update.messages) {
    if (m.sid) shown.push([m.sid, m.status]);
    if (m.sid && m.body) texts.push(m.sid);
  }
  post({ kind: 'list', at, shown, texts, entries: update.conversations.length + update.messages.length });
});
const sockets = [list];
for (const conversationId of setup.watch) {
  // Every panel gets the list too (and decodes it), as a browser does; only the first one reports it.
  const socket = await connect(setup.url, setup.cookie);
  sockets.push(socket);
  await socket.timeout(5_000).emitWithAck('conversation:watch', conversationId);
  socket.on('message:updated', (m) => { if (m.sid) post({ kind: 'chat', at: now(), shown: [[m.sid, m.status]] }); });
}
parentPort!.on('message', (m: { kind: 'close' }) => {
  if (m.kind !== 'close') return;
  sockets.forEach((s) => s.close());
  post({ kind: 'closed' });
  parentPort!.close();
});
post({ kind: 'ready' });

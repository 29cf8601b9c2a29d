import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connectClient, type Socket } from 'socket.io-client';
import { CLIENT_EVENT_ARGS, type ClientToServerEvents, type ServerToClientEvents } from '../src/contract/api.ts';
import { SOCKET_MESSAGE_LIMIT } from '../src/realtime/socket-server.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

type PanelSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const AGENT = { email: 'fuzz.agent@clinica.test', password: 'agente-fuzz-123' };

// Raw Socket.IO packets, written straight onto the engine.io connection as an attacker would: the
// client library would refuse to encode some of them (or overflow its own stack doing so).
// `42` is an EVENT on the main namespace; `42<id>` asks for an ack, answered by `43<id>[...]`.
const nestedArrays = (bytes: number) => '['.repeat(bytes / 2) + ']'.repeat(bytes / 2);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Sends a raw event packet asking for an ack; resolves to the ack's arguments, or 'closed' / 'no answer'. */
function rawCall(socket: PanelSocket, id: number, payloadJson: string, timeoutMs = 2_000): Promise<unknown[] | 'closed' | 'no answer'> {
  const engine = socket.io.engine;
  return new Promise((resolve) => {
    const done = (v: unknown[] | 'closed' | 'no answer') => {
      clearTimeout(timer);
      engine.off('message', onMessage);
      engine.off('close', onClose);
      resolve(v);
    };
    const onMessage = (data: unknown) => {
      if (typeof data === 'string' && data.startsWith(`3${id}[`)) done(JSON.parse(data.slice(`3${id}`.length)) as unknown[]);
    };
    const onClose = () => done('closed');
    const timer = setTimeout(() => done('no answer'), timeoutMs);
    engine.on('message', onMessage);
    engine.on('close', onClose);
    engine.write(`2${id}${payloadJson}`);
  });
}

/** Sends a raw event packet without an ack; resolves once the server had time to act on it (or closed). */
async function rawSend(socket: PanelSocket, payloadJson: string): Promise<'closed' | 'open'> {
  socket.io.engine.write(`2${payloadJson}`);
  // A ping-pong of our own (an ack call on an unknown event gets nothing; a known one answers):
  // packets are handled in order, so once a later ack arrives the earlier packet was handled.
  const probe = await rawCall(socket, 999_999, JSON.stringify(['conversation:watch', 'not-a-uuid']));
  return probe === 'closed' ? 'closed' : 'open';
}

for (const kind of databaseKinds().slice(0, 1)) {
  describe(`hostile Socket.IO input from a logged-in agent (${kind})`, () => {
    let inbox: TestInbox;
    let agentCookie: string;
    let conversationId: string;
    const sid = newSid();

    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      const { headers: admin } = await inbox.login();
      const created = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ ...AGENT, name: 'Agente Fuzz', role: 'agent' }),
      });
      assert.equal(created.status, 201);
      agentCookie = await inbox.loginCookie(AGENT.email, AGENT.password);
      assert.equal((await inbox.postSigned('/api/whatsapp/status', statusParams(sid, 'sent'))).status, 204);
      const { rows } = await inbox.db.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE sid = $1', [sid]);
      conversationId = rows[0]!.conversation_id;
    });
    after(() => inbox.close());

    /** Whether the server still works end to end: HTTP answers, a fresh socket watches a real chat and gets its message event. */
    async function assertAlive() {
      assert.equal((await fetch(inbox.baseUrl + '/api/auth/me', { headers: { cookie: agentCookie } })).status, 200, 'HTTP answers');
      const socket = await inbox.connectSocket(agentCookie);
      const seen = record(socket);
      assert.equal(await watch(socket, conversationId), true, 'a real conversation can be watched');
      assert.equal((await inbox.postSigned('/api/whatsapp/status', statusParams(sid, 'delivered'))).status, 204);
      await waitFor(() => seen.messages.find((e) => e.message.sid === sid && e.message.status === 'delivered'), 'the message event of the watched chat');
      socket.close();
      // The next check needs a fresh status to wait for.
      await inbox.db.query(`UPDATE messages SET status = 'sent' WHERE sid = $1`, [sid]);
    }

    /** The rooms the server holds for a socket, apart from the ones every socket gets at connection. */
    const conversationRooms = (socket: PanelSocket) => [...(inbox.io.of('/').sockets.get(socket.id!)?.rooms ?? [])].filter((r) => r.startsWith('conversation:'));

    test('the issue\'s reproduction: 20 KB of nested arrays to conversation:watch leaves the server alive', async () => {
      const socket = await inbox.connectSocket(agentCookie);
      const answer = await rawCall(socket, 1, `["conversation:watch",${nestedArrays(20_000)}]`);
      // Over the message limit: the server drops the connection instead of reading it.
      assert.equal(answer, 'closed');
      await assertAlive();
    });

    test('every client event, fed nested, huge, wrong-typed, missing, extra and binary arguments: answered false or ignored', async () => {
      const events = Object.keys(CLIENT_EVENT_ARGS);
      assert.ok(events.includes('conversation:watch'), 'the contract lists the client events');
      const under = SOCKET_MESSAGE_LIMIT - 200;
      // Each entry: the event's arguments as JSON text (the ack comes from the packet's id).
      const badArgs: [string, string][] = [
        ['nested arrays within the limit', nestedArrays(under)],
        ['nested objects within the limit', nestedObjects(Math.floor(under / 6))],
        ['an array holding a nested array', `[${nestedArrays(under - 2)}]`],
        ['a string just under the limit', JSON.stringify('x'.repeat(under))],
        ['a UUID-shaped start of a long string', JSON.stringify('00000000-0000-0000-0000-000000000000'.padEnd(under, 'a'))],
        ['a number', '42'],
        ['NaN-ish number', '1e309'],
        ['true', 'true'],
        ['false', 'false'],
        ['an object', '{"id":"00000000-0000-0000-0000-000000000000"}'],
        ['an object with toString', '{"toString":"x","valueOf":"y"}'],
        ['a __proto__ object', '{"__proto__":{"polluted":true}}'],
        ['an array', '["00000000-0000-0000-0000-000000000000"]'],
        ['an empty array', '[]'],
        ['a binary placeholder without binary', '{"_placeholder":true,"num":0}'],
        ['an empty string', '""'],
        ['a UUID with a newline', JSON.stringify('00000000-0000-0000-0000-000000000000\n')],
      ];
      for (const event of events) {
        const socket = await inbox.connectSocket(agentCookie);
        let id = 1;
        const call = async (what: string, payloadJson: string) => {
          const answer = await rawCall(socket, id++, payloadJson);
          assert.deepEqual(answer, [false], `${event} with ${what}: answered false`);
        };
        for (const [what, json] of badArgs) await call(what, `[${JSON.stringify(event)},${json}]`);
        await call('no arguments', `[${JSON.stringify(event)}]`);
        // (undefined travels as null, a valid "watch none": two of them are one too many.)
        await call('two nulls', `[${JSON.stringify(event)},null,null]`);
        await call('extra arguments', `[${JSON.stringify(event)},${JSON.stringify(conversationId)},1,"two",{}]`);
        await call('a non-function ack (a trailing value)', `[${JSON.stringify(event)},${JSON.stringify(conversationId)},"ack"]`);
        // Without an ack: ignored, the connection stays up and nothing changed.
        for (const [, json] of badArgs) assert.equal(await rawSend(socket, `[${JSON.stringify(event)},${json}]`), 'open');
        assert.equal(await rawSend(socket, `[${JSON.stringify(event)}]`), 'open');
        // Through the client library: binary arguments, missing arguments, no ack.
        assert.equal(await socket.timeout(2_000).emitWithAck(event as 'conversation:watch', Buffer.from('binary') as never), false, `${event} with a Buffer`);
        assert.equal(await socket.timeout(2_000).emitWithAck(event as 'conversation:watch', [Buffer.alloc(8), { b: Buffer.alloc(8) }] as never), false, `${event} with nested Buffers`);
        assert.equal(await (socket.timeout(2_000).emitWithAck as (e: string) => Promise<unknown>)(event), false, `${event} with nothing`);
        (socket.emit as (e: string, ...a: unknown[]) => void)(event, conversationId, 'not-a-function');
        (socket.emit as (e: string, ...a: unknown[]) => void)(event, [[[[conversationId]]]]);
        assert.equal(socket.connected, true, `${event}: still connected after every bad call`);
        assert.deepEqual(conversationRooms(socket), [], `${event}: no bad call joined a room`);
        socket.close();
      }
      await assertAlive();
    });

    test('unknown event names are ignored', async () => {
      const socket = await inbox.connectSocket(agentCookie);
      let id = 1;
      for (const name of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'conversation:watch ', 'CONVERSATION:WATCH', 'x'.repeat(2_000)]) {
        assert.equal(await rawCall(socket, id++, JSON.stringify([name, conversationId]), 300), 'no answer', `${name.slice(0, 40)}: ignored`);
        assert.equal(await rawSend(socket, `[${JSON.stringify(name)},${nestedArrays(2_000)}]`), 'open', `${name.slice(0, 40)} without an ack: ignored`);
      }
      // Socket.IO also lets a number name an event.
      assert.equal(await rawCall(socket, id++, JSON.stringify([42, conversationId]), 300), 'no answer', 'a numeric event name: ignored');
      assert.equal(socket.connected, true);
      assert.deepEqual(conversationRooms(socket), []);
      socket.close();
      await assertAlive();
    });

    test('a message over the limit closes that connection only', async () => {
      const other = await inbox.connectSocket(agentCookie);
      const socket = await inbox.connectSocket(agentCookie);
      assert.equal(await rawCall(socket, 1, JSON.stringify(['conversation:watch', 'x'.repeat(SOCKET_MESSAGE_LIMIT + 1)])), 'closed');
      // Through the client library too: a huge string and a huge binary argument.
      for (const huge of ['y'.repeat(SOCKET_MESSAGE_LIMIT * 4), Buffer.alloc(SOCKET_MESSAGE_LIMIT * 4)]) {
        const s = await inbox.connectSocket(agentCookie);
        const closed = new Promise<string>((resolve) => s.once('disconnect', resolve));
        s.emit('conversation:watch', huge as never, () => {});
        assert.match(await closed, /transport (close|error)/);
      }
      // Over long-polling the server answers the oversized request 413 and closes the session.
      const polling: PanelSocket = connectClient(inbox.baseUrl, { transports: ['polling'], extraHeaders: { cookie: agentCookie }, reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => { polling.once('connect', resolve); polling.once('connect_error', reject); });
      const pollingClosed = new Promise<string>((resolve) => polling.once('disconnect', resolve));
      polling.emit('conversation:watch', 'z'.repeat(SOCKET_MESSAGE_LIMIT * 4) as never, () => {});
      assert.match(await pollingClosed, /transport (close|error)/);
      polling.close();
      assert.equal(other.connected, true, 'other connections stay');
      assert.equal(await watch(other, conversationId), true);
      other.close();
      await assertAlive();
    });
  });
}

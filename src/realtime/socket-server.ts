import type { FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { hashToken, userForSession } from '../auth/sessions.ts';
import type { Database } from '../db/database.ts';
import { originOf, sentFromAnotherSite, sessionToken } from '../http/session-plugin.ts';
import type { EndedSessions, InboxEvents } from '../messages/inbox-events.ts';
import type { InstanceRelay } from './redis-adapter.ts';
import { recentSessionEnds } from './recent-session-ends.ts';
import { CLIENT_EVENT_ARGS, conversationRoom, type ClientToServerEvents, type ListUpdateDto, type MessageDto, type NoteDto, type ServerToClientEvents, type UserDto } from '../contract/api.ts';

export const INBOX_ROOM = 'inbox';
/**
 * The largest message a browser may send, in bytes. The panel sends only `conversation:watch` with
 * a UUID or null (under 100 bytes with its framing); 4 KB leaves room for a long-polling request
 * that carries a few packets at once. A client that sends more is disconnected by Socket.IO before
 * anything reads the message (the default, 1 MB, let one message nest arrays 500,000 deep).
 */
export const SOCKET_MESSAGE_LIMIT = 4096;
const CONVERSATION_ROOM_PREFIX = conversationRoom('');
/** What a relay message between instances holds: chat events (a line each), or a list update. */
const CHAT_EVENTS = 'chat';
const LIST_UPDATE = 'list';

/** The events that go to the panels with one chat open (its room). */
type ChatEvent = ['message:new' | 'message:updated', MessageDto] | ['note:new', NoteDto];
/** What instances tell each other (through the adapter), besides the broadcasts to browsers. */
interface InterServerEvents {
  /** Sessions ended on one instance, whose sockets on the others close too. */
  'sessions:ended': (ended: EndedSessions) => void;
  /** An instance is back on Redis: what it published meanwhile never arrived here. */
  'sync:resync': () => void;
}

// Every socket joins the rooms of its user and of its session, so ending either closes its sockets.
const userRoom = (userId: string) => `user:${userId}`;
const sessionRoom = (sessionTokenHash: string) => `session:${sessionTokenHash}`;

export type InboxSocketServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, { user: UserDto; sessionToken: string; sessionEndsMark: number }>;

const noAck = () => {};

/**
 * Every packet a browser sends passes here before any handler sees it: an unknown event is
 * dropped, and a known one's arguments are checked against its schema in the contract (type,
 * size, count) before anything else touches them. A bad call is answered `false` through its ack,
 * or dropped without one; handlers always get checked arguments and a callable ack.
 */
function checkClientEvent(packet: unknown[], next: (err?: Error) => void): void {
  const [event, ...args] = packet;
  // Socket.IO appends its ack function last when the client asked for one; the client itself can
  // send only data, so any other trailing value is an argument (and fails the schema).
  const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (ok: boolean) => void) : undefined;
  // Own properties only: `__proto__` or `toString` name no event. Numbers may name one in Socket.IO.
  if (typeof event !== 'string' || !Object.hasOwn(CLIENT_EVENT_ARGS, event)) return;
  const checked = CLIENT_EVENT_ARGS[event as keyof typeof CLIENT_EVENT_ARGS].safeParse(args);
  if (!checked.success) return ack?.(false);
  // Not calling next() drops the packet; calling it dispatches [event, ...checked args, ack].
  packet.splice(1, packet.length - 1, ...checked.data, ack ?? noAck);
  next();
}

/** How often open sockets' sessions are checked again (a user disabled or logged out elsewhere). */
export const SESSION_RECHECK_MS = 30_000;

/**
 * The one module that talks to browsers. A socket joins the inbox room only after its session
 * cookie checks out; it gets the (coalesced) conversation list updates there, and the message
 * events of the one chat it watches in that chat's room. With an adapter (Redis) rooms span every
 * instance behind the load balancer.
 */
export function attachRealtime(
  app: FastifyInstance,
  deps: {
    db: Database; events: InboxEvents; publicOrigin: string; sessionRecheckMs?: number;
    /** Several instances: the adapter shares rooms, the relay carries message events and list updates. */
    adapter?: Parameters<InboxSocketServer['adapter']>[0]; relay?: InstanceRelay;
  },
): InboxSocketServer {
  if (deps.adapter && !deps.relay) throw new Error('an adapter between instances needs its relay');
  let closing = false;
  const io: InboxSocketServer = new Server(app.server, {
    serveClient: false,
    maxHttpBufferSize: SOCKET_MESSAGE_LIMIT,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
    allowRequest: (req, callback) => {
      // During shutdown a browser's reconnect attempt is refused at once instead of left hanging.
      if (closing) return callback('shutting down', false);
      // Another site's page must not open a socket with our cookie (cross-site WebSocket hijacking).
      const crossSite = sentFromAnotherSite(req.headers, [deps.publicOrigin, originOf(`http://${req.headers.host}`), originOf(`https://${req.headers.host}`)]);
      callback(crossSite ? 'cross-origin' : null, !crossSite);
    },
  });

  const ends = recentSessionEnds();
  io.use((socket, next) => {
    const token = sessionToken(app, socket.handshake.headers.cookie);
    if (!token) return next(new Error('unauthenticated'));
    const sessionEndsMark = ends.mark();
    userForSession(deps.db, token)
      .then((user) => {
        if (!user) return next(new Error('unauthenticated'));
        socket.data.user = user;
        socket.data.sessionToken = token;
        socket.data.sessionEndsMark = sessionEndsMark;
        next();
      })
      .catch(() => next(new Error('unavailable')));
  });
  io.on('connection', (socket) => {
    const ownRooms = [userRoom(socket.data.user.id), sessionRoom(hashToken(socket.data.sessionToken))];
    // Its session ended (or its user changed) while the handshake was reading it.
    if (ends.endedSince(socket.data.sessionEndsMark, ownRooms)) return void socket.disconnect(true);
    void socket.join([INBOX_ROOM, ...ownRooms]);
    socket.use(checkClientEvent);
    // Synchronous on purpose: a close and the next open arrive back to back, and an await between
    // leaving and joining would let the close's handler leave the room the open just joined.
    // (Rooms live in this process, also with the Redis adapter, so join/leave finish at once.)
    socket.on('conversation:watch', (conversationId, ack) => {
      for (const room of [...socket.rooms]) if (room.startsWith(CONVERSATION_ROOM_PREFIX)) void socket.leave(room);
      if (conversationId) void socket.join(conversationRoom(conversationId));
      ack(true);
    });
  });

  // Message events go to the panels showing that chat. A campaign raises thousands a second, nearly
  // all for chats nobody has open: those raised together are delivered here only to rooms with a
  // socket on this instance (nothing is encoded for the others), and reach the other instances as
  // one relay message, a line per event led by its chat, so a receiver decodes only the events of
  // chats open on it (measured: with two instances, each parsing every event of both cost more
  // than the callbacks' own writes).
  let pending: ChatEvent[] = [];
  const rooms = () => io.of('/').adapter.rooms;
  const deliverHere = (changes: ChatEvent[]) => {
    for (const change of changes) {
      const room = conversationRoom(change[1].conversationId);
      if (!rooms().has(room)) continue;
      if (change[0] === 'note:new') io.local.to(room).emit(change[0], change[1]);
      else io.local.to(room).emit(change[0], change[1]);
    }
  };
  const flush = () => {
    const changes = pending;
    pending = [];
    deliverHere(changes);
    deps.relay?.send(CHAT_EVENTS + changes.map(([kind, dto]) => `\n${dto.conversationId}\t${kind}\t${JSON.stringify(dto)}`).join(''));
  };
  const raise = (change: ChatEvent) => {
    if (!pending.length) queueMicrotask(flush);
    pending.push(change);
  };
  const deliverRelayedChatEvents = (message: string) => {
    // JSON.stringify never writes a raw newline: each line is one event.
    for (let start = message.indexOf('\n'); start !== -1;) {
      const end = message.indexOf('\n', start + 1);
      const line = message.slice(start + 1, end === -1 ? undefined : end);
      start = end;
      const [conversationId, kind] = line.split('\t', 2) as [string, ChatEvent[0]];
      const room = conversationRoom(conversationId);
      if (!rooms().has(room)) continue;
      const dto = JSON.parse(line.slice(conversationId.length + kind.length + 2));
      if (kind === 'note:new') io.local.to(room).emit(kind, dto);
      else if (kind === 'message:new' || kind === 'message:updated') io.local.to(room).emit(kind, dto);
    }
  };
  // The conversation list goes to every panel: here directly, to the others' through the relay
  // (only an instance with panels decodes it).
  const sendListUpdate = (update: ListUpdateDto) => {
    io.local.to(INBOX_ROOM).emit('list:updated', update);
    deps.relay?.send(LIST_UPDATE + JSON.stringify(update));
  };
  deps.relay?.onMessage((message) => {
    try {
      if (message.startsWith(CHAT_EVENTS)) deliverRelayedChatEvents(message);
      else if (message.startsWith(LIST_UPDATE) && rooms().has(INBOX_ROOM)) io.local.to(INBOX_ROOM).emit('list:updated', JSON.parse(message.slice(LIST_UPDATE.length)));
    } catch (err) {
      app.log.warn({ err }, 'could not read a message from another instance');
    }
  });

  // Sockets of ended sessions close at once, here and (one message through the adapter) on the
  // other instances; locally first, so this instance's close does not wait on Redis.
  const closeHere = (ended: EndedSessions) => {
    const e = ended as Partial<Record<'userId' | 'sessionTokenHash', unknown>> | null;
    const room = typeof e?.userId === 'string' ? userRoom(e.userId) : typeof e?.sessionTokenHash === 'string' ? sessionRoom(e.sessionTokenHash) : null;
    if (!room) return;
    ends.record(room);
    io.local.in(room).disconnectSockets(true);
  };
  io.on('sessions:ended', closeHere);
  const unsubscribe = [
    deps.events.on('sessions:ended', (ended) => {
      closeHere(ended);
      if (deps.adapter) io.serverSideEmit('sessions:ended', ended);
    }),
    deps.events.on('message:new', (m) => raise(['message:new', m])),
    deps.events.on('message:updated', (m) => raise(['message:updated', m])),
    deps.events.on('note:new', (n) => raise(['note:new', n])),
    deps.events.on('list:updated', sendListUpdate),
    // Rare (an admin edits the list): one adapter broadcast reaches the panels on every instance.
    deps.events.on('quickReplies:changed', (change) => io.to(INBOX_ROOM).emit('quickReplies:changed', change)),
    deps.events.on('senders:changed', (change) => io.to(INBOX_ROOM).emit('senders:changed', change)),
    deps.events.on('alerts:changed', ({ userId, alerts }) => io.to(userRoom(userId)).emit('alerts:updated', alerts)),
  ];
  // A socket outlives the request that opened it: a user disabled or logged out must stop
  // receiving messages. The server's own changes close sockets at once (above); changes made
  // outside it (the command line writes the database) are caught by checking sessions again.
  const recheck = setInterval(() => void dropEndedSessions(), deps.sessionRecheckMs ?? SESSION_RECHECK_MS);
  recheck.unref();
  async function dropEndedSessions() {
    for (const socket of io.of('/').sockets.values()) {
      // A database that cannot answer ends no session: undefined keeps the socket.
      const user = await userForSession(deps.db, socket.data.sessionToken).catch(() => undefined);
      if (user === null) socket.disconnect(true);
      else if (user) socket.data.user = user;
    }
  }

  // Before Fastify closes the HTTP server: open WebSockets would otherwise hold it open, and the
  // browsers' immediate reconnect attempts leave keep-alive connections that go idle only after
  // Fastify's one sweep of idle connections; sweep until the server has closed.
  app.addHook('preClose', async () => {
    closing = true;
    clearInterval(recheck);
    unsubscribe.forEach((off) => off());
    // This instance's sockets only: through the adapter it would close every panel on every instance.
    io.local.disconnectSockets(true);
    io.engine.close();
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    sweep.unref();
    app.server.once('close', () => clearInterval(sweep));
  });
  return io;
}

import type { FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { userForSession } from '../auth/sessions.ts';
import type { Database } from '../db/database.ts';
import { sessionToken } from '../http/session-plugin.ts';
import type { InboxEvents } from '../messages/inbox-events.ts';
import type { ClientToServerEvents, ServerToClientEvents, UserDto } from './events.ts';

export const INBOX_ROOM = 'inbox';

export type InboxSocketServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { user: UserDto }>;

/**
 * The one module that talks to browsers: a socket joins the inbox room only after its session
 * cookie checks out, and domain events are forwarded to that room. With an adapter (Redis) the
 * room spans every instance behind the load balancer.
 */
export function attachRealtime(app: FastifyInstance, deps: { db: Database; events: InboxEvents; adapter?: Parameters<InboxSocketServer['adapter']>[0] }): InboxSocketServer {
  let closing = false;
  const io: InboxSocketServer = new Server(app.server, {
    serveClient: false,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
    // During shutdown a browser's reconnect attempt is refused at once instead of left hanging.
    allowRequest: (_req, callback) => callback(closing ? 'shutting down' : null, !closing),
  });

  io.use((socket, next) => {
    const token = sessionToken(app, socket.handshake.headers.cookie);
    if (!token) return next(new Error('unauthenticated'));
    userForSession(deps.db, token)
      .then((user) => {
        if (!user) return next(new Error('unauthenticated'));
        socket.data.user = user;
        next();
      })
      .catch(() => next(new Error('unavailable')));
  });
  io.on('connection', (socket) => {
    void socket.join(INBOX_ROOM);
  });

  const unsubscribe = [
    deps.events.on('message:new', (m) => io.to(INBOX_ROOM).emit('message:new', m)),
    deps.events.on('message:updated', (m) => io.to(INBOX_ROOM).emit('message:updated', m)),
    deps.events.on('conversation:updated', (c) => io.to(INBOX_ROOM).emit('conversation:updated', c)),
  ];
  // Before Fastify closes the HTTP server: open WebSockets would otherwise hold it open, and the
  // browsers' immediate reconnect attempts leave keep-alive connections that go idle only after
  // Fastify's one sweep of idle connections; sweep until the server has closed.
  app.addHook('preClose', async () => {
    closing = true;
    unsubscribe.forEach((off) => off());
    io.disconnectSockets(true);
    io.engine.close();
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    sweep.unref();
    app.server.once('close', () => clearInterval(sweep));
  });
  return io;
}

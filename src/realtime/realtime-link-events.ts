import type { FastifyBaseLogger } from 'fastify';
import type { RealtimeLink } from './redis-adapter.ts';
import type { InboxSocketServer } from './socket-server.ts';

/**
 * What an instance does about its Redis link going down and coming back: the outage is logged
 * once each way (not once per event), and once the link is back every panel that may have missed
 * events is told to resync (`sync:resync`): this instance's own (they missed what the others
 * published), and the others' (they missed what this one published). Returns the unsubscribe.
 */
export function followRealtimeLink(io: InboxSocketServer, link: RealtimeLink, log: FastifyBaseLogger): () => void {
  io.on('sync:resync', () => io.local.emit('sync:resync'));
  return link.onChange((state, { cause, recovered }) => {
    if (state === 'down') {
      log.warn({ err: cause }, 'Redis is unreachable: events no longer cross between instances (each still serves its own panels); retrying');
    } else if (recovered) {
      log.info('Redis is back: events cross between instances again; panels fetch what they missed');
      io.local.emit('sync:resync');
      io.serverSideEmit('sync:resync');
    } else {
      log.info('connected to Redis');
    }
  });
}

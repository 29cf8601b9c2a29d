import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

/**
 * Shares Socket.IO rooms across instances through Redis pub/sub. The clients reconnect by
 * themselves; while Redis is down each instance still serves its own browsers.
 */
export async function connectRedisAdapter(url: string) {
  const pub = createClient({ url, socket: { reconnectStrategy: (retries) => Math.min(retries * 200, 5_000) } });
  const sub = pub.duplicate();
  // Errors are reported through events; without a listener they would crash the process.
  pub.on('error', () => {});
  sub.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    adapter: createAdapter(pub, sub),
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP relay to a real server that a test can cut and restore, to see how the app behaves when
 * PostgreSQL goes away and comes back, without stopping the PostgreSQL other tests share.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const open = new Set<Socket>();
  let up = true;
  const server = createServer((client) => {
    if (!up) return client.destroy();
    const upstream = connect(target.port, target.host);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** Cuts every open connection and refuses new ones. */
    cut() {
      up = false;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      up = true;
    },
    close: () => new Promise<void>((resolve) => {
      up = false;
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}

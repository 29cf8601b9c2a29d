import { randomBytes } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

export type RealtimeLinkState = 'up' | 'down';

/** The Redis link between instances, as the rest of the app sees it: /api/health and the panels' resync. */
export interface RealtimeLink {
  readonly state: RealtimeLinkState;
  /**
   * Called when the link goes down (with why) and when it is back; at once with the state so far
   * if the first connection or failure already happened. `recovered` is true when it comes back
   * after an outage (not on the first connection of a start that saw none).
   */
  onChange(listener: (state: RealtimeLinkState, o: { cause?: unknown; recovered: boolean }) => void): () => void;
}

/**
 * Messages between instances on a Redis channel of their own, for the heavy traffic (a campaign's
 * message events and list updates). Redis hands a message to every subscriber, its sender too:
 * each message starts with its sender's id, so an instance skips its own without reading them
 * (through the adapter's serverSideEmit and broadcasts, every instance parsed all of them,
 * its own included). Same delivery as the adapter's: while Redis is down a message is dropped,
 * and the panels resync once the link is back.
 */
export interface InstanceRelay {
  send(message: string): void;
  onMessage(listener: (message: string) => void): void;
}

/** Commands a publishing client may have waiting for Redis's answer; past it a publish is dropped. */
const MAX_PENDING_COMMANDS = 10_000;
const noop = () => {};

/**
 * Shares Socket.IO rooms across instances through Redis pub/sub. Redis is never waited for: the
 * server starts without it, and while it is down each instance still serves its own browsers.
 *
 * @socket.io/redis-adapter calls `publish()` (broadcasts, serverSideEmit, disconnectSockets...) and
 * `subscribe()` without ever handling their promises, and node-redis rejects commands in flight
 * when the connection drops and queued ones after its command timeout: each such rejection used to
 * end the process. So the adapter gets facades whose commands never reject unhandled, and the
 * publishing client has no offline queue: while Redis is down a publish is dropped at once
 * (counted) instead of being held in memory. What the other instances miss meanwhile their panels
 * fetch through /api/changes once the link is back (see the `recovered` flag).
 */
export function connectRedisAdapter(url: string, o: { key?: string } = {}) {
  const pub = createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    socket: { reconnectStrategy: (retries) => Math.min(retries * 200, 5_000) },
  });
  // The subscriber keeps its offline queue: it only ever holds the adapter's few SUBSCRIBEs, which
  // must wait for Redis when it is down at start (node-redis renews them after every reconnect).
  const sub = pub.duplicate({ disableOfflineQueue: false, commandsQueueMaxLength: undefined });

  // 'connecting' until the first connection or the first failure, which is then announced.
  let state: RealtimeLinkState | 'connecting' = 'connecting';
  let sawOutage = false;
  let lastCause: unknown;
  let dropped = 0;
  const listeners = new Set<Parameters<RealtimeLink['onChange']>[0]>();
  const change = (next: RealtimeLinkState, cause?: unknown) => {
    if (next === state) return;
    state = next;
    lastCause = cause;
    const recovered = next === 'up' && sawOutage;
    for (const l of listeners) l(next, { cause, recovered });
  };
  const markDown = (cause: unknown) => {
    // 'error' also fires on every failed reconnect attempt; only the first of an outage matters.
    if (pub.isReady && sub.isReady) return;
    sawOutage = true;
    change('down', cause);
  };
  const markUpIfBoth = () => {
    if (pub.isReady && sub.isReady) change('up');
  };
  for (const client of [pub, sub]) {
    // Errors are reported through events; without a listener they would crash the process.
    client.on('error', markDown);
    client.on('end', () => markDown(new Error('connection to Redis ended')));
    // The subscriber is ready only once its subscriptions are renewed: from then on nothing
    // published by the others is missed, so a catch-up started now misses nothing either.
    client.on('ready', markUpIfBoth);
  }

  const publisher = {
    // Duck-typed by the adapter: the redis@4+ API (pSubscribe, sSubscribe), not a cluster.
    pSubscribe: pub.pSubscribe.bind(pub),
    sSubscribe: pub.sSubscribe.bind(pub),
    on: pub.on.bind(pub),
    off: pub.off.bind(pub),
    publish(channel: string, message: string | Buffer): Promise<number> {
      if (!pub.isReady) {
        dropped++;
        return Promise.resolve(0);
      }
      return pub.publish(channel, message).catch(() => {
        dropped++;
        return 0;
      });
    },
    // PUBSUB NUMSUB (serverCount, for fetchSockets and acks): its callers await it and get the error.
    sendCommand: (args: string[]) => pub.sendCommand(args),
  };
  const subscriber = {
    pSubscribe: (...a: Parameters<typeof sub.pSubscribe>) => sub.pSubscribe(...a).catch(noop),
    subscribe: (...a: Parameters<typeof sub.subscribe>) => sub.subscribe(...a).catch(noop),
    pUnsubscribe: (...a: Parameters<typeof sub.pUnsubscribe>) => sub.pUnsubscribe(...a).catch(noop),
    unsubscribe: (...a: Parameters<typeof sub.unsubscribe>) => sub.unsubscribe(...a).catch(noop),
    on: sub.on.bind(sub),
    off: sub.off.bind(sub),
  };

  const relayChannel = `${o.key ?? 'socket.io'}-relay#`;
  const ownPrefix = `${randomBytes(8).toString('hex')}\n`;
  const ownPrefixBytes = Buffer.from(ownPrefix);
  const relayListeners: ((message: string) => void)[] = [];
  // Queued until the subscriber connects, and renewed by node-redis after every reconnect (before 'ready').
  sub.subscribe(relayChannel, (message: Buffer) => {
    if (message.length >= ownPrefixBytes.length && message.compare(ownPrefixBytes, 0, ownPrefixBytes.length, 0, ownPrefixBytes.length) === 0) return;
    const text = message.toString('utf8', message.indexOf(10) + 1);
    for (const listener of relayListeners) listener(text);
  }, true).catch(noop);
  const relay: InstanceRelay = {
    send: (message) => void publisher.publish(relayChannel, ownPrefix + message),
    onMessage: (listener) => void relayListeners.push(listener),
  };

  // Not awaited: connect() resolves only once Redis answers, retrying for as long as it takes.
  // It rejects only when close() ends it first.
  pub.connect().catch(noop);
  sub.connect().catch(noop);

  const link: RealtimeLink = {
    get state() {
      return state === 'up' ? 'up' : 'down';
    },
    onChange(listener) {
      listeners.add(listener);
      if (state !== 'connecting') listener(state, { cause: lastCause, recovered: false });
      return () => listeners.delete(listener);
    },
  };
  return {
    adapter: createAdapter(publisher, subscriber, o.key ? { key: o.key } : {}),
    link,
    relay,
    /** Publishes dropped because Redis was down or not answering (since start). */
    droppedPublishes: () => dropped,
    async close() {
      listeners.clear();
      // A client still trying to reach Redis has nothing to say goodbye with.
      await Promise.allSettled([pub, sub].map((c) => (c.isReady ? c.close() : Promise.resolve(c.destroy()))));
    },
  };
}

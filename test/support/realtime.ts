import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ConversationDto, ListUpdateDto, MessageDto, ServerToClientEvents } from '../../src/contract/api.ts';

type InboxSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Everything a panel's socket receives, in arrival order. */
export interface Received {
  messages: { event: 'new' | 'updated'; message: MessageDto }[];
  /** Each `list:updated` batch, with when it arrived. */
  batches: { at: number; update: ListUpdateDto }[];
  /** The latest list entry seen per conversation, its preview kept current as the panel keeps it. */
  conversation(id: string): ConversationDto | undefined;
  /** The conversation whose list entry showed this message SID last. */
  conversationOf(sid: string): ConversationDto | undefined;
}

export function record(socket: InboxSocket): Received {
  const latest = new Map<string, ConversationDto>();
  const received: Received = {
    messages: [],
    batches: [],
    conversation: (id) => latest.get(id),
    conversationOf: (sid) => [...latest.values()].find((c) => c.lastMessage?.sid === sid),
  };
  socket.on('message:new', (message) => received.messages.push({ event: 'new', message }));
  socket.on('message:updated', (message) => received.messages.push({ event: 'updated', message }));
  socket.on('list:updated', (update) => {
    received.batches.push({ at: Date.now(), update });
    for (const c of update.conversations) latest.set(c.id, c);
    // As the panel does: a changed message replaces its conversation's preview when it is the last one.
    for (const m of update.messages) {
      const c = latest.get(m.conversationId);
      if (c?.lastMessage?.id === m.id && c.lastMessage.seq < m.seq) latest.set(c.id, { ...c, lastMessage: { ...c.lastMessage, ...m } });
    }
  });
  return received;
}

/** Opens a chat the way the panel does: the ack means its message events flow from now on. */
export async function watch(socket: InboxSocket, conversationId: string | null): Promise<boolean> {
  return socket.timeout(5_000).emitWithAck('conversation:watch', conversationId);
}

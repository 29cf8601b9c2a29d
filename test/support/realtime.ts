import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ConversationDto, MessageDto, ServerToClientEvents } from '../../src/realtime/events.ts';

type InboxSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Everything a panel's socket receives, in arrival order. */
export interface Received {
  messages: { event: 'new' | 'updated'; message: MessageDto }[];
  /** Each `conversations:updated` batch, with when it arrived. */
  batches: { at: number; conversations: ConversationDto[] }[];
  /** The latest list entry seen per conversation. */
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
  socket.on('conversations:updated', (conversations) => {
    received.batches.push({ at: Date.now(), conversations });
    for (const c of conversations) latest.set(c.id, c);
  });
  return received;
}

/** Opens a chat the way the panel does: the ack means its message events flow from now on. */
export async function watch(socket: InboxSocket, conversationId: string | null): Promise<boolean> {
  return socket.timeout(5_000).emitWithAck('conversation:watch', conversationId);
}

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { ListUpdateDto, MessageDto } from '../src/contract/api.ts';
import type { Database } from '../src/db/database.ts';
import { createConversationFeed, LIST_UPDATE_MAX_ENTRIES } from '../src/messages/conversation-feed.ts';
import { InboxEvents } from '../src/messages/inbox-events.ts';

const message = (seq: number): MessageDto => ({
  kind: 'message', id: randomUUID(), sid: `SM${String(seq).padStart(32, '0')}`, conversationId: randomUUID(), direction: 'outbound', source: 'external',
  capturedVia: 'callback', status: 'delivered', body: `aviso ${seq}`, bodyPending: false, media: [], contentSid: null, contentVariables: null,
  errorCode: null, errorMessage: null, sentBy: null, replyToSid: null, buttonPayload: null, location: null, createdAt: new Date().toISOString(),
  sentAt: null, deliveredAt: new Date().toISOString(), readAt: null, failedAt: null, seq,
} as MessageDto);

// Only message changes here: no conversation is read, so no database is needed.
const noDatabase = { query: () => Promise.reject(new Error('no query expected')) } as unknown as Database;

test('a large list update goes out in slices, a turn of the event loop apart, each change once and in order', async () => {
  const events = new InboxEvents();
  const updates: ListUpdateDto[] = [];
  const turns: number[] = [];
  let turn = 0;
  events.on('list:updated', (u) => {
    updates.push(u);
    turns.push(turn);
    // Counts the event loop's turns between two slices.
    setImmediate(() => turn++);
  });
  const feed = createConversationFeed({ db: noDatabase, events, log: { warn: () => {} } }, 10);
  const sent = Array.from({ length: 2 * LIST_UPDATE_MAX_ENTRIES + 20 }, (_, i) => message(i + 1));
  feed.messagesChanged(sent);
  const deadline = Date.now() + 5_000;
  while (updates.flatMap((u) => u.messages).length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await feed.close();
  assert.equal(updates.length, 3);
  for (const u of updates) assert.ok(u.conversations.length + u.messages.length <= LIST_UPDATE_MAX_ENTRIES);
  assert.deepEqual(updates.flatMap((u) => u.messages).map((m) => m.seq), sent.map((m) => m.seq));
  assert.ok(turns[1]! > turns[0]! && turns[2]! > turns[1]!, `other work ran between the slices (turns ${turns.join(', ')})`);
});

import type { ConversationWithMessages } from './conversation-export.ts';
import type { TextSink } from './text-sink.ts';

/**
 * One JSON document, { exportedAt, baseUrl, conversations: [...] }, written as it is read: a
 * conversation's fields, then its messages one a line.
 */
export async function writeJsonExport(
  sink: TextSink,
  meta: { exportedAt: string; baseUrl: string },
  conversations: AsyncIterable<ConversationWithMessages>,
): Promise<{ conversations: number; messages: number }> {
  const counts = { conversations: 0, messages: 0 };
  await sink.write(`{"exportedAt":${JSON.stringify(meta.exportedAt)},"baseUrl":${JSON.stringify(meta.baseUrl)},"conversations":[`);
  for await (const { messages, ...conversation } of conversations) {
    const head = JSON.stringify(conversation);
    await sink.write(`${counts.conversations++ ? ',' : ''}\n${head.slice(0, -1)},"messages":[`);
    let first = true;
    for await (const m of messages) {
      await sink.write(`${first ? '' : ','}\n  ${JSON.stringify(m)}`);
      first = false;
      counts.messages++;
    }
    await sink.write(first ? ']}' : '\n]}');
  }
  await sink.write('\n]}\n');
  await sink.flush();
  return counts;
}

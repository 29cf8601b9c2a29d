import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ConversationNotFoundError, inSnapshot, selectConversations, type ExportSelection } from '../export/conversation-export.ts';
import { writeCsvExport } from '../export/csv-export.ts';
import { writeJsonExport } from '../export/json-export.ts';
import { TextSink } from '../export/text-sink.ts';
import { phoneFromAddress } from '../messages/addresses.ts';
import type { Messages } from './messages.ts';
import { openRuntime } from './runtime.ts';
import { CliUsageError } from './usage-error.ts';

interface ExportInput {
  selection: ExportSelection;
  format: 'json' | 'csv';
  /** null: standard output. */
  out: string | null;
}

/** Checks what was typed before any database is opened. */
function validate(args: string[], m: Messages): ExportInput {
  const { values } = parseArgs({
    args,
    options: { conversation: { type: 'string' }, phone: { type: 'string' }, format: { type: 'string', default: 'json' }, out: { type: 'string' } },
  });
  const t = m.export;
  if (values.conversation !== undefined && values.phone !== undefined) throw new CliUsageError(t.oneOfThem);
  const format = values.format!.toLowerCase();
  if (format !== 'json' && format !== 'csv') throw new CliUsageError(t.badFormat(values.format!));
  let selection: ExportSelection = { kind: 'all' };
  if (values.conversation !== undefined) selection = { kind: 'conversation', id: values.conversation.trim() };
  if (values.phone !== undefined) {
    // As people write phones: "+57 315 336-9631", "whatsapp:+573153369631".
    const phone = phoneFromAddress(values.phone.replace(/[\s().-]/g, ''));
    if (!phone) throw new CliUsageError(t.badPhone(values.phone));
    selection = { kind: 'phone', phone };
  }
  if (values.out === '') throw new CliUsageError(t.emptyOut);
  return { selection, format, out: values.out === undefined || values.out === '-' ? null : values.out };
}

/**
 * Where the export goes: a file, made readable by its owner only (it holds patients' messages),
 * or standard output. A file that cannot be opened fails here, before anything is read.
 */
async function openTarget(out: string | null, stdout: Writable, m: Messages) {
  if (out === null) return { sink: new TextSink(stdout), finish: async () => {}, discard: async () => {} };
  const stream = createWriteStream(out, { mode: 0o600 });
  try {
    await once(stream, 'open');
  } catch (err) {
    throw new CliUsageError(m.export.cannotWrite(out, (err as Error).message));
  }
  return {
    sink: new TextSink(stream),
    async finish() {
      stream.end();
      await finished(stream);
    },
    // A failed export leaves no half file that could pass for a whole one (only a file this export opened).
    async discard() {
      stream.destroy();
      await unlink(out).catch(() => {});
    },
  };
}

// A reader that stops early (wa-inbox export | head) closes the pipe: the export ends there, quietly.
const readerGone = (err: unknown) => (err as { code?: string }).code === 'EPIPE';

export async function runExport(args: string[], m: Messages, out: (line: string) => void, env: NodeJS.ProcessEnv, stdout: Writable): Promise<void> {
  const input = validate(args, m);
  const rt = await openRuntime({ needTwilio: false, env });
  try {
    const counts: { conversations: number; messages: number } | null = await inSnapshot(rt.db, async (q) => {
      let conversations;
      try {
        conversations = await selectConversations(q, input.selection, { baseUrl: rt.config.baseUrl });
      } catch (err) {
        if (!(err instanceof ConversationNotFoundError)) throw err;
        const s = err.selection;
        throw new CliUsageError(s.kind === 'phone' ? m.export.noPhone(s.phone) : m.export.noConversation(s.id));
      }
      const target = await openTarget(input.out, stdout, m);
      try {
        const exportedAt = new Date().toISOString();
        const written = input.format === 'json'
          ? await writeJsonExport(target.sink, { exportedAt, baseUrl: rt.config.baseUrl }, conversations)
          : await writeCsvExport(target.sink, conversations);
        await target.finish();
        return written;
      } catch (err) {
        await target.discard();
        if (input.out === null && readerGone(err)) return null;
        throw err;
      }
    });
    // On standard output the export is the whole output; the summary is for a file only.
    if (counts && input.out !== null) out(m.export.done(counts.conversations, counts.messages, input.out));
  } finally {
    await rt.close();
  }
}

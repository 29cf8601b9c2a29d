import type { ConversationWithMessages, ExportedConversation, ExportedMessage } from './conversation-export.ts';
import type { TextSink } from './text-sink.ts';

// RFC 4180: comma-separated, CRLF line ends, a field in double quotes (its quotes doubled) when it
// holds a comma, a quote or a line break. A UTF-8 byte order mark first: without it Excel reads
// the file in the system's code page and mangles every accent.
const BOM = '\uFEFF';
const CRLF = '\r\n';

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const csvRow = (fields: (string | number | null)[]) => fields.map(csvField).join(',') + CRLF;

/**
 * Text that people typed (a customer's message, a profile name) opens in a spreadsheet: one that
 * starts with =, +, -, @, a tab or a carriage return would run as a formula (`=HYPERLINK(...)` sent
 * by anyone on WhatsApp). A leading apostrophe makes the spreadsheet show it as text; the JSON export
 * keeps the text as it is.
 */
export const spreadsheetText = (value: string | null): string | null => (value !== null && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const COLUMNS: [string, (c: ExportedConversation, m: ExportedMessage) => string | number | null][] = [
  ['conversation_id', (c) => c.id],
  ['phone', (c) => c.contact.phone],
  ['contact_name', (c) => spreadsheetText(c.contact.name)],
  ['profile_name', (c) => spreadsheetText(c.contact.profileName)],
  ['message_id', (_, m) => m.id],
  ['sid', (_, m) => m.sid],
  ['direction', (_, m) => m.direction],
  ['source', (_, m) => m.source],
  ['status', (_, m) => m.status],
  ['body', (_, m) => spreadsheetText(m.body)],
  ['content_sid', (_, m) => m.contentSid],
  ['content_variables', (_, m) => (m.contentVariables ? JSON.stringify(m.contentVariables) : null)],
  ['error_code', (_, m) => m.errorCode],
  ['error_message', (_, m) => spreadsheetText(m.errorMessage)],
  ['sent_by_name', (_, m) => spreadsheetText(m.sentBy?.name ?? null)],
  ['sent_by_email', (_, m) => m.sentBy?.email ?? null],
  ['created_at', (_, m) => m.createdAt],
  ['sent_at', (_, m) => m.sentAt],
  ['delivered_at', (_, m) => m.deliveredAt],
  ['read_at', (_, m) => m.readAt],
  ['failed_at', (_, m) => m.failedAt],
  // One entry per media item, space-separated, in the same order in both columns; '-' for none.
  ['media_urls', (_, m) => (m.media.length ? m.media.map((x) => x.url ?? '-').join(' ') : null)],
  ['media_content_types', (_, m) => (m.media.length ? m.media.map((x) => x.contentType ?? '-').join(' ') : null)],
];

export const CSV_HEADER = COLUMNS.map(([name]) => name);

/** One row per message, each with its conversation's phone and names; a header row first. */
export async function writeCsvExport(sink: TextSink, conversations: AsyncIterable<ConversationWithMessages>): Promise<{ conversations: number; messages: number }> {
  const counts = { conversations: 0, messages: 0 };
  await sink.write(BOM + csvRow(CSV_HEADER));
  for await (const { messages, ...conversation } of conversations) {
    counts.conversations++;
    for await (const m of messages) {
      await sink.write(csvRow(COLUMNS.map(([, get]) => get(conversation, m))));
      counts.messages++;
    }
  }
  await sink.flush();
  return counts;
}

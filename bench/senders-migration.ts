// `node --import tsx bench/senders-migration.ts`: how long the upgrade to several numbers
// (migration 013) takes on an existing PostgreSQL database: every conversation gets a sender, and
// the customers who wrote to two numbers are split. Figures, not assertions.
import { migrate } from '../src/db/migrate.ts';
import { fmt, freshDatabase } from './support.ts';

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 50_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
/** One customer in this many wrote to the second number too. */
const SPLIT_EVERY = 20;
const FIRST = 'whatsapp:+14155238886';
const SECOND = 'whatsapp:+573001110000';

async function main() {
  const { db } = await freshDatabase('wa_bench_senders_migration');
  await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await migrate(db, { before: '013' });
  const t0 = Date.now();
  await db.exec(`
    INSERT INTO contacts (phone) SELECT '+5730' || lpad(g::text, 8, '0') FROM generate_series(1, ${CONVERSATIONS}) g;
    INSERT INTO conversations (contact_id, unread_count) SELECT id, 1 FROM contacts;
    CREATE TEMP TABLE conv_order AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM conversations;
    INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, body, business_address, created_at)
      SELECT 'SM' || md5(g::text), c.id,
        CASE WHEN g % 3 = 0 THEN 'inbound' ELSE 'outbound' END,
        CASE WHEN g % 3 = 0 THEN 'inbound' ELSE 'external' END, 'callback',
        CASE WHEN g % 3 = 0 THEN 'received' ELSE 'delivered' END, 'Mensaje ' || g,
        CASE WHEN c.n % ${SPLIT_EVERY} = 0 AND (g / ${CONVERSATIONS}) % 2 = 0 THEN '${SECOND}' WHEN g % 5 = 0 THEN NULL ELSE '${FIRST}' END,
        now() - make_interval(secs => g)
      FROM generate_series(1, ${MESSAGES}) g JOIN conv_order c ON c.n = 1 + g % ${CONVERSATIONS};
    UPDATE conversations c SET last_message_id = x.id, last_message_at = x.created_at
      FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at FROM messages ORDER BY conversation_id, created_at DESC) x
      WHERE x.conversation_id = c.id;
    ANALYZE;
  `);
  console.log(`## Migration 013 on ${fmt(CONVERSATIONS, 0)} conversations and ${fmt(MESSAGES, 0)} messages (${fmt(CONVERSATIONS / SPLIT_EVERY, 0)} customers wrote to two numbers)`);
  console.log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = Date.now();
  await migrate(db, { defaultSender: FIRST });
  console.log(`migration 013: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  const { rows } = await db.query<{ conversations: string; senders: string }>(
    'SELECT (SELECT count(*) FROM conversations) AS conversations, (SELECT count(*) FROM senders) AS senders',
  );
  console.log(`after: ${fmt(Number(rows[0]!.conversations), 0)} conversations, ${rows[0]!.senders} senders`);
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

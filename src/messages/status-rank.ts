import type { MessageStatus } from '../contract/api.ts';

/**
 * How far along a message is: a status only replaces one of lower rank; failed, undelivered and
 * canceled are final. The same order as SQL's wa_status_rank (migration 001), which the writes use;
 * this copy lets a batch merge the callbacks of one message before writing (a test checks the two
 * agree for every status).
 */
const RANK: Record<MessageStatus, number> = {
  accepted: 0, scheduled: 0, queued: 1, receiving: 1, sending: 2, sent: 3, partially_delivered: 4, delivered: 4,
  read: 5, received: 5, undelivered: 9, failed: 9, canceled: 9,
};

export const statusRank = (status: MessageStatus): number => RANK[status];

import { messageRepository } from '../db/message-repository.ts';
import { SEND_NOTES } from '../contract/twilio-error-texts.ts';
import type { InboxContext } from './context.ts';
import { startPeriodicPass, type PeriodicPass } from './periodic-pass.ts';
import { publishMessages } from './publish.ts';

/** A pass marks failed what has waited too long and resolves with how many. */
export type UnconfirmedSendSweep = PeriodicPass<number>;

/**
 * Panel sends whose answer from Twilio never came wait for a callback that would confirm them
 * (src/messages/send-message.ts). One that has waited `afterSeconds` never will: Twilio never
 * created it, or its callbacks are lost. It is marked failed so the agent sees it and can send it
 * again. Also catches sends cut off by a crash between writing the row and Twilio's answer.
 * Every instance may run it: the UPDATE settles each row once.
 */
export function startUnconfirmedSendSweep(ctx: InboxContext, afterSeconds: number): UnconfirmedSendSweep {
  const pass = async () => {
    const failed = await messageRepository.failUnconfirmedSends(ctx.db, afterSeconds, SEND_NOTES.neverConfirmed.en);
    if (failed.length) {
      ctx.log.warn({ count: failed.length, afterSeconds }, 'panel sends Twilio never confirmed were marked failed');
      publishMessages(ctx, [], failed);
    }
    return failed.length;
  };
  // A few passes per allowed age, at most one a minute: a row is failed soon after its time.
  const everyMs = Math.min(60_000, Math.max(1_000, (afterSeconds * 1000) / 4));
  return startPeriodicPass({ pass, everyMs, failed: 0, what: 'sweep of unconfirmed sends', log: ctx.log });
}

import { messageRepository } from '../db/message-repository.ts';
import { SEND_NOTES } from '../contract/twilio-error-texts.ts';
import type { InboxContext } from './context.ts';
import { publishMessages } from './publish.ts';

export interface UnconfirmedSendSweep {
  /** Marks failed what has waited too long; resolves with how many. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Panel sends whose answer from Twilio never came wait for a callback that would confirm them
 * (src/messages/send-message.ts). One that has waited `afterSeconds` never will: Twilio never
 * created it, or its callbacks are lost. It is marked failed so the agent sees it and can send it
 * again. Also catches sends cut off by a crash between writing the row and Twilio's answer.
 * Every instance may run it: the UPDATE settles each row once.
 */
export function startUnconfirmedSendSweep(ctx: InboxContext, afterSeconds: number): UnconfirmedSendSweep {
  let running: Promise<number> | null = null;

  function runOnce(): Promise<number> {
    running ??= messageRepository
      .failUnconfirmedSends(ctx.db, afterSeconds, SEND_NOTES.neverConfirmed.en)
      .then((failed) => {
        if (failed.length) {
          ctx.log.warn({ count: failed.length, afterSeconds }, 'panel sends Twilio never confirmed were marked failed');
          publishMessages(ctx, [], failed);
        }
        return failed.length;
      })
      .catch((err) => {
        ctx.log.warn({ err }, 'sweep of unconfirmed sends failed; will retry');
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  // A few passes per allowed age, at most one a minute: a row is failed soon after its time.
  const everyMs = Math.min(60_000, Math.max(1_000, (afterSeconds * 1000) / 4));
  const timer = setInterval(() => void runOnce(), everyMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

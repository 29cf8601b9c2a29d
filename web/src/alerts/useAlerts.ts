import { useEffect, useRef } from 'react';
import type { AlertPreferencesDto, UserDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { contactLabel, previewText } from '../i18n/format.ts';
import type { Arrival, InboxStore } from '../inbox/inboxStore.ts';
import { conversationPath, navigate } from '../router.ts';
import { armAlertTone, playAlertTone } from './alertTone.ts';
import { showDesktopNotification } from './desktopNotifications.ts';
import { NotificationBudget } from './notificationBudget.ts';

/** One tone for a burst, however many updates bring it. */
const TONE_GAP_MS = 1_500;
/** A notification's text: the start of the message. */
const BODY_LENGTH = 120;
/** The summary's tag: a later summary replaces the earlier one rather than piling up. */
const SUMMARY_TAG = 'wa-inbox-new-messages';

/**
 * Whether a customer's new message alerts this user: in a conversation that is theirs or nobody's,
 * and not the chat they are looking at (another chat is open, or the tab is hidden).
 */
export function shouldAlert(arrival: Arrival, me: UserDto, watchedId: string | null): boolean {
  const { assignee, id } = arrival.conversation;
  if (assignee !== null && assignee.id !== me.id) return false;
  return document.visibilityState === 'hidden' || watchedId !== id;
}

/** Rings and shows desktop notifications for customers' new messages, as this user chose. */
export function useAlerts(store: InboxStore, me: UserDto, preferences: AlertPreferencesDto): void {
  const { t, tn } = useI18n();
  // The latest choices and wording, read when a message arrives (no re-subscribing on each change).
  const current = useRef({ preferences, t, tn });
  current.current = { preferences, t, tn };

  useEffect(() => armAlertTone(), []);

  useEffect(() => {
    const budget = new NotificationBudget();
    let lastToneAt = -Infinity;
    return store.onArrivals((arrivals) => {
      const due = arrivals.filter((a) => shouldAlert(a, me, store.getWatched()));
      if (!due.length) return;
      const { preferences: p, t, tn } = current.current;
      const now = Date.now();
      if (p.sound && now - lastToneAt >= TONE_GAP_MS) {
        lastToneAt = now;
        playAlertTone();
      }
      if (!p.desktop) return;
      const plan = budget.take(due.length, now);
      if (!plan.separate) {
        showDesktopNotification({ title: t('appName'), body: tn('alerts.summary', plan.total), tag: SUMMARY_TAG, onClick: () => navigate('/') });
        return;
      }
      for (const { conversation, message } of due) {
        const text = previewText(message, t);
        showDesktopNotification({
          title: contactLabel(conversation.contact),
          body: text.length > BODY_LENGTH ? text.slice(0, BODY_LENGTH - 1) + '…' : text,
          tag: message.id,
          onClick: () => navigate(conversationPath(conversation.id)),
        });
      }
    });
  }, [store, me]);
}

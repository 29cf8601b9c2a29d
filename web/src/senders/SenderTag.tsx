import type { SenderDto } from '../api/contract.ts';
import { textColourOn } from '../../../src/contract/sender-colours.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { useSenders } from './useSenders.ts';

/** Its name, or its phone until an admin names it. */
export const senderLabel = (s: Pick<SenderDto, 'name' | 'phone'>) => s.name || s.phone;

/**
 * Which of our numbers a conversation is with, as a coloured tag; nothing when there is only one
 * number. The name and colour are the senders list's (live), the conversation's copy until it loads.
 */
export function SenderTag({ sender, className }: { sender: SenderDto; className?: string }) {
  const { t } = useI18n();
  const senders = useSenders();
  if (!senders.several) return null;
  const s = senders.store.find(sender.id) ?? sender;
  return (
    <span
      className={`sender-tag${className ? ` ${className}` : ''}`}
      style={{ backgroundColor: s.colour, color: textColourOn(s.colour) }}
      title={t('senders.tagTitle', { phone: s.phone })}
      data-testid="sender-tag"
      data-sender-id={s.id}
    >
      {senderLabel(s)}
    </span>
  );
}

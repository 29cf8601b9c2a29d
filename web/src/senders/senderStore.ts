import { api } from '../api/client.ts';
import type { SenderDto, SenderPatchDto } from '../api/contract.ts';
import { FollowedList } from '../api/followedList.ts';

export interface Senders {
  /** Our WhatsApp numbers, oldest first; empty until the first answer. */
  items: readonly SenderDto[];
  /** More than one: only then does the panel show numbers (tags, filter, the new chat's choice). */
  several: boolean;
  error: unknown;
}

/** Our WhatsApp numbers, loaded once the inbox opens and followed through `senders:changed`. */
export class SenderStore extends FollowedList<SenderDto, Senders> {
  constructor() {
    super({ items: [], several: false, error: null });
  }

  protected fetchItems() {
    return api.senders();
  }

  protected stateOf(items: readonly SenderDto[]): Senders {
    return { items, several: items.length > 1, error: null };
  }

  /** A sender as the list now has it (its name or colour may be newer than a conversation's copy). */
  find(id: string): SenderDto | undefined {
    return this.get().items.find((s) => s.id === id);
  }

  update(id: string, patch: SenderPatchDto): Promise<SenderDto> {
    return this.thenRefresh(api.updateSender(id, patch));
  }
}

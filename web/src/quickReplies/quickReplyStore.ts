import { api } from '../api/client.ts';
import type { QuickReplyDto, QuickReplyInputDto } from '../api/contract.ts';
import { FollowedList } from '../api/followedList.ts';

export interface QuickReplies {
  /** Sorted by shortcut, as the server sends them; null until the first answer. */
  items: readonly QuickReplyDto[] | null;
  error: unknown;
}

/** The team's quick replies, loaded when first wanted (a composer or the admin page) and followed through `quickReplies:changed`. */
export class QuickReplyStore extends FollowedList<QuickReplyDto, QuickReplies> {
  constructor() {
    super({ items: null, error: null });
  }

  protected fetchItems() {
    return api.quickReplies();
  }

  protected stateOf(items: readonly QuickReplyDto[]): QuickReplies {
    return { items, error: null };
  }

  create(input: QuickReplyInputDto): Promise<QuickReplyDto> {
    return this.thenRefresh(api.createQuickReply(input));
  }

  update(id: string, patch: Partial<QuickReplyInputDto>): Promise<QuickReplyDto> {
    return this.thenRefresh(api.updateQuickReply(id, patch));
  }

  async remove(id: string): Promise<void> {
    await this.thenRefresh(api.deleteQuickReply(id));
  }
}

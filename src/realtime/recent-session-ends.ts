/**
 * The session ends of the last minute, by room, numbered in order. A socket's handshake reads its
 * session from the database before the socket joins its user's and session's rooms, so an end
 * raised in between would miss it: the handshake takes the current number before it reads, and
 * the socket is closed as it connects when one of its rooms ended after that number. (A handshake
 * slower than `keepMs` is left to the periodic session check.)
 */
export function recentSessionEnds(keepMs = 60_000) {
  let last = 0;
  // In the order recorded (a room recorded again moves to the end), so pruning stops at the first kept.
  const ends = new Map<string, { n: number; at: number }>();
  return {
    /** Taken before the handshake reads the session. */
    mark: () => last,
    record(room: string) {
      const now = Date.now();
      for (const [r, e] of ends) {
        if (now - e.at <= keepMs) break;
        ends.delete(r);
      }
      ends.delete(room);
      ends.set(room, { n: ++last, at: now });
    },
    endedSince: (mark: number, rooms: string[]) => rooms.some((room) => (ends.get(room)?.n ?? 0) > mark),
  };
}

// The colours a sender gets until an admin picks one: distinct, readable under white text, and
// the same for a number on every panel and every start (picked from its digits).
export const SENDER_PALETTE = ['#2563eb', '#16a34a', '#c2410c', '#9333ea', '#0e7490', '#be123c', '#4d7c0f', '#a16207'] as const;

export function pickedSenderColour(address: string): string {
  let h = 0;
  for (const ch of address) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return SENDER_PALETTE[h % SENDER_PALETTE.length]!;
}

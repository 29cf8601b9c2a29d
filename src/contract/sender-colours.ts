// The colours a sender gets until an admin picks one: distinct, white text on each at 4.5:1 or more, and
// the same for a number on every panel and every start (picked from its digits).
export const SENDER_PALETTE = ['#1d4ed8', '#15803d', '#c2410c', '#7e22ce', '#0e7490', '#be123c', '#4d7c0f', '#a16207'] as const;

export function pickedSenderColour(address: string): string {
  let h = 0;
  for (const ch of address) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return SENDER_PALETTE[h % SENDER_PALETTE.length]!;
}

/** Black or white, whichever reads better on `hex` (an admin may pick a light colour). */
export function textColourOn(hex: string): '#000' | '#fff' {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  // Contrast with white (1.05 / (L + 0.05)) against contrast with black ((L + 0.05) / 0.05).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#fff' : '#000';
}

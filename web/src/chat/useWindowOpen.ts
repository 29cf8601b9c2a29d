import { useEffect, useState } from 'react';

const isOpen = (expiresAt: string | null) => expiresAt !== null && Date.parse(expiresAt) > Date.now();

/** Whether WhatsApp's 24-hour window is open; flips by itself the moment it closes. */
export function useWindowOpen(expiresAt: string | null): boolean {
  const [open, setOpen] = useState(() => isOpen(expiresAt));
  useEffect(() => {
    setOpen(isOpen(expiresAt));
    if (!isOpen(expiresAt)) return;
    const timer = setTimeout(() => setOpen(false), Math.min(Date.parse(expiresAt!) - Date.now() + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [expiresAt]);
  return open;
}

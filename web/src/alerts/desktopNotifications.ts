import { useCallback, useEffect, useState } from 'react';

/** The browser's answer for notifications, or `unsupported` where there is no Notification API. */
export type NotificationPermissionState = NotificationPermission | 'unsupported';

export function notificationPermission(): NotificationPermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/**
 * The permission as it stands, and the way to ask for it: asked only when the user clicks the
 * button (browsers ignore, and some penalise, a request made on load). Read again when the tab
 * comes back, since the user may have changed it in the browser's site settings meanwhile.
 */
export function useNotificationPermission(): { permission: NotificationPermissionState; request(): Promise<void> } {
  const [permission, setPermission] = useState(notificationPermission);
  useEffect(() => {
    const reread = () => setPermission(notificationPermission());
    window.addEventListener('focus', reread);
    document.addEventListener('visibilitychange', reread);
    return () => {
      window.removeEventListener('focus', reread);
      document.removeEventListener('visibilitychange', reread);
    };
  }, []);
  const request = useCallback(async () => {
    if (typeof Notification === 'undefined') return;
    try {
      await Notification.requestPermission();
    } catch {
      /* an old browser's callback-only form: its answer shows on the next read */
    }
    setPermission(notificationPermission());
  }, []);
  return { permission, request };
}

/**
 * Shows a desktop notification when the user allowed them. `tag` merges the same message's
 * notification from two open tabs into one. Clicking it brings the tab forward and runs onClick.
 */
export function showDesktopNotification(o: { title: string; body: string; tag: string; onClick(): void }): void {
  if (notificationPermission() !== 'granted') return;
  try {
    const n = new Notification(o.title, { body: o.body, tag: o.tag });
    n.onclick = () => {
      window.focus();
      o.onClick();
      n.close();
    };
  } catch {
    // Chrome on Android shows notifications only through a service worker: `new Notification` throws.
  }
}

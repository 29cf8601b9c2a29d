import { useEffect, useRef, useState } from 'react';
import type { AlertPreferencesDto, UserDto } from '../api/contract.ts';
import { AlertsDialog } from '../alerts/AlertsDialog.tsx';
import { DemoMenu } from '../demo/DemoMenu.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { navigate, type Route } from '../router.ts';
import { LanguageSelect } from './LanguageSelect.tsx';

/**
 * The green bar: where you are, who you are, the language, and in demo mode the "Simular" menu.
 * On a phone it keeps one row (brand, Simular, a menu button) and the rest opens from the button:
 * the same elements, laid out by CSS, so nothing is rendered twice.
 */
export function Header({ user, route, demoMode, onLogout, openPhone, alerts, onAlerts }: {
  user: UserDto;
  route: Route;
  demoMode: boolean;
  onLogout(): void;
  /** The open conversation's phone, offered as the default in the Simular menu. */
  openPhone: string | null;
  /** This user's alerts: the "Alertas" dialog, for every user. */
  alerts: AlertPreferencesDto;
  onAlerts(a: AlertPreferencesDto): void;
}) {
  const { t } = useI18n();
  const [menuOpen, setMenuOpen] = useState(false);
  const [alertsOpen, setAlertsOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!menuOpen) return;
    const closeOutside = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node) && !toggle.current?.contains(e.target as Node)) setMenuOpen(false);
    };
    const closeOnEscape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setMenuOpen(false);
      toggle.current?.focus();
    };
    document.addEventListener('pointerdown', closeOutside);
    document.addEventListener('keydown', closeOnEscape);
    return () => {
      document.removeEventListener('pointerdown', closeOutside);
      document.removeEventListener('keydown', closeOnEscape);
    };
  }, [menuOpen]);
  const link = (path: string, page: Route['page'], label: string, testId: string) => (
    <a
      href={path}
      className="nav-link"
      aria-current={route.page === page ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        setMenuOpen(false);
        navigate(path);
      }}
      data-testid={testId}
    >
      {label}
    </a>
  );
  return (
    <header className="app-header" data-testid="app-header">
      <span className="brand">
        <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2Zm0 18.2a8.2 8.2 0 0 1-4.2-1.1l-.3-.2-3 .8.8-2.9-.2-.3A8.2 8.2 0 1 1 12 20.2Z" />
        </svg>
        {t('appName')}
      </span>
      <span className="header-spacer" />
      {demoMode && <DemoMenu defaultPhone={openPhone} />}
      <button
        type="button" ref={toggle} className="header-button menu-toggle" aria-expanded={menuOpen} aria-controls="header-menu"
        aria-label={t('header.menu')} onClick={() => setMenuOpen((o) => !o)} data-testid="header-menu-button"
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z" /></svg>
      </button>
      <div id="header-menu" ref={menu} className={`header-menu${menuOpen ? ' open' : ''}`} data-testid="header-menu">
        <nav aria-label={t('nav.main')} className="nav">
          {link('/', 'inbox', t('nav.inbox'), 'nav-inbox')}
          {user.role === 'admin' && link('/users', 'users', t('nav.users'), 'nav-users')}
          {user.role === 'admin' && link('/audit', 'audit', t('nav.audit'), 'nav-audit')}
          {user.role === 'admin' && link('/quick-replies', 'quickReplies', t('nav.quickReplies'), 'nav-quick-replies')}
        </nav>
        <LanguageSelect />
        <button
          type="button" className="header-button" aria-haspopup="dialog" data-testid="alerts-button"
          onClick={() => {
            setMenuOpen(false);
            setAlertsOpen(true);
          }}
        >
          {t('header.alerts')}
        </button>
        <span className="user-name" data-testid="current-user" title={t('header.signedInAs', { name: user.name })}>{user.name}</span>
        <button type="button" className="header-button" onClick={onLogout} data-testid="logout-button">
          {t('header.logout')}
        </button>
      </div>
      {/* Outside the menu, which a phone hides once closed. */}
      {alertsOpen && <AlertsDialog alerts={alerts} onSaved={onAlerts} onClose={() => setAlertsOpen(false)} />}
    </header>
  );
}

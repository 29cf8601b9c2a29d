import { useId, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import { allFilled, filledValues, TemplateFields } from '../chat/TemplateFields.tsx';
import { useTemplates } from '../chat/useTemplates.ts';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';

const E164 = /^\+[1-9]\d{6,14}$/;
const DEFAULT_PHONE = '+573153369631';
const normalizePhone = (s: string) => s.replace(/[\s().-]/g, '');

type Tab = 'inbound' | 'external';

/** Demo mode's stand-ins for the outside world: a customer who writes, and the Wix site sending. */
export function DemoMenu({ defaultPhone }: { defaultPhone: string | null }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [tab, setTab] = useState<Tab>('inbound');
  return (
    <>
      <button type="button" className="header-button demo-button" onClick={() => setOpen(true)} aria-haspopup="dialog" data-testid="demo-menu-button">
        {t('demo.menu')}
      </button>
      {open && (
        <Dialog title={t('demo.title')} onClose={() => setOpen(false)} testId="demo-menu">
          <div className="tabs" role="tablist">
            {(['inbound', 'external'] as const).map((k) => (
              <button
                key={k}
                type="button"
                role="tab"
                aria-selected={tab === k}
                className={`tab${tab === k ? ' selected' : ''}`}
                onClick={() => setTab(k)}
                data-testid={`demo-tab-${k}`}
              >
                {k === 'inbound' ? t('demo.inbound') : t('demo.external')}
              </button>
            ))}
          </div>
          <div role="tabpanel">
            {tab === 'inbound' ? (
              <InboundForm defaultPhone={defaultPhone ?? DEFAULT_PHONE} onDone={() => setOpen(false)} />
            ) : (
              <ExternalForm defaultPhone={defaultPhone ?? DEFAULT_PHONE} onDone={() => setOpen(false)} />
            )}
          </div>
        </Dialog>
      )}
    </>
  );
}

function useSubmit(onDone: () => void) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run(phone: string, action: (phone: string) => Promise<unknown>) {
    const normalized = normalizePhone(phone);
    if (!E164.test(normalized)) {
      setError(t('demo.phoneInvalid'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await action(normalized);
      onDone();
    } catch (err) {
      setError(describeApiError(err, lang, t));
      setBusy(false);
    }
  }
  return { busy, error, run };
}

function PhoneField({ value, onChange, testId }: { value: string; onChange(v: string): void; testId: string }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{t('demo.phone')}</label>
      <input id={id} type="tel" required value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} autoComplete="off" />
    </div>
  );
}

function InboundForm({ defaultPhone, onDone }: { defaultPhone: string; onDone(): void }) {
  const { t } = useI18n();
  const [phone, setPhone] = useState(defaultPhone);
  const [profileName, setProfileName] = useState('');
  const [body, setBody] = useState('');
  const { busy, error, run } = useSubmit(onDone);
  const nameId = useId();
  const bodyId = useId();

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(phone, (from) => api.demoInbound({ from, body, ...(profileName.trim() ? { profileName: profileName.trim() } : {}) }));
  }
  return (
    <form onSubmit={submit} data-testid="demo-inbound-form">
      <PhoneField value={phone} onChange={setPhone} testId="demo-inbound-phone" />
      <div className="field">
        <label htmlFor={nameId}>{t('demo.profileName')}</label>
        <input id={nameId} value={profileName} maxLength={100} onChange={(e) => setProfileName(e.target.value)} data-testid="demo-inbound-name" />
      </div>
      <div className="field">
        <label htmlFor={bodyId}>{t('demo.body')}</label>
        <textarea id={bodyId} required rows={3} maxLength={4096} value={body} onChange={(e) => setBody(e.target.value)} data-testid="demo-inbound-body" />
      </div>
      {error && <p className="form-error" role="alert" data-testid="demo-error">{error}</p>}
      <button type="submit" className="primary" disabled={busy || !body.trim()} data-testid="demo-inbound-submit">{t('demo.send')}</button>
    </form>
  );
}

function ExternalForm({ defaultPhone, onDone }: { defaultPhone: string; onDone(): void }) {
  const { t } = useI18n();
  const { templates } = useTemplates();
  const [phone, setPhone] = useState(defaultPhone);
  const [kind, setKind] = useState<'text' | 'template'>('template');
  const [body, setBody] = useState('');
  const [sid, setSid] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const { busy, error, run } = useSubmit(onDone);
  const bodyId = useId();
  const templateId = useId();
  // The outside world can send any template, approved or not: that is what the inbox must capture.
  const template = templates?.find((x) => x.sid === sid) ?? null;
  const ready = kind === 'text' ? body.trim() !== '' : template !== null && allFilled(template, values);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!ready) return;
    void run(phone, (to) =>
      api.demoExternalSend(kind === 'text' ? { to, body } : { to, contentSid: template!.sid, contentVariables: filledValues(template!, values) }),
    );
  }
  return (
    <form onSubmit={submit} data-testid="demo-external-form">
      <PhoneField value={phone} onChange={setPhone} testId="demo-external-phone" />
      <fieldset className="radio-row">
        <legend>{t('demo.kind')}</legend>
        {(['template', 'text'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="demo-kind" value={k} checked={kind === k} onChange={() => setKind(k)} data-testid={`demo-external-kind-${k}`} />
            {t(`demo.kind.${k}`)}
          </label>
        ))}
      </fieldset>
      {kind === 'text' ? (
        <div className="field">
          <label htmlFor={bodyId}>{t('demo.body')}</label>
          <textarea id={bodyId} rows={3} maxLength={4096} value={body} onChange={(e) => setBody(e.target.value)} data-testid="demo-external-body" />
        </div>
      ) : (
        <>
          <div className="field">
            <label htmlFor={templateId}>{t('demo.template')}</label>
            <select
              id={templateId}
              value={sid}
              onChange={(e) => {
                setSid(e.target.value);
                setValues({});
              }}
              data-testid="demo-external-template"
            >
              <option value="">{templates === null ? t('loading') : t('templates.pick')}</option>
              {(templates ?? []).map((x) => (
                <option key={x.sid} value={x.sid}>{x.name} ({x.language})</option>
              ))}
            </select>
          </div>
          {template && <TemplateFields template={template} values={values} onChange={setValues} />}
        </>
      )}
      {error && <p className="form-error" role="alert" data-testid="demo-error">{error}</p>}
      <button type="submit" className="primary" disabled={busy || !ready} data-testid="demo-external-submit">{t('demo.send')}</button>
    </form>
  );
}

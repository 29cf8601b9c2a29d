import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Template } from '../api/client.ts';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { allFilled, filledValues, TemplateFields } from './TemplateFields.tsx';
import { useTemplates } from './useTemplates.ts';

/**
 * Choose an approved template, fill its variables, see the final text, send. A new chat adds its
 * own fields (`lead`, above the templates) and holds the send until they are ready (`canSend`).
 */
export function TemplatePicker({ onSend, onClose, title, testId = 'template-picker', lead, canSend = true }: {
  onSend(template: Template, variables: Record<string, string>): Promise<void>;
  onClose(): void;
  title?: string;
  testId?: string;
  lead?: ReactNode;
  canSend?: boolean;
}) {
  const { t, tn, lang } = useI18n();
  const { templates, error: loadError, reload } = useTemplates();
  const [filter, setFilter] = useState('');
  const [selectedSid, setSelectedSid] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const filterId = useId();

  const approved = (templates ?? []).filter((tpl) => tpl.approved);
  const hidden = (templates ?? []).length - approved.length;
  const needle = filter.trim().toLowerCase();
  const shown = needle ? approved.filter((tpl) => `${tpl.name} ${tpl.body}`.toLowerCase().includes(needle)) : approved;
  const selected = approved.find((tpl) => tpl.sid === selectedSid) ?? null;
  const ready = selected !== null && allFilled(selected, values) && canSend && !sending;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!selected || !ready) return;
    setSending(true);
    setError(null);
    try {
      await onSend(selected, filledValues(selected, values));
      onClose();
    } catch (err) {
      setError(err);
      setSending(false);
    }
  }

  return (
    <Dialog title={title ?? t('templates.title')} onClose={onClose} testId={testId} wide>
      {loadError !== null && (
        <p className="form-error" role="alert">
          {describeApiError(loadError, lang, t)}{' '}
          <button type="button" className="link-button" onClick={reload}>{t('retry')}</button>
        </p>
      )}
      {templates === null && loadError === null && <p>{t('loading')}</p>}
      {templates !== null && approved.length === 0 && <p data-testid="template-none">{t('templates.none')}</p>}
      {approved.length > 0 && (
        <form className="template-picker" onSubmit={submit}>
          {lead && <div className="template-picker-lead">{lead}</div>}
          <div className="template-choices">
            {approved.length > 6 && (
              <div className="field">
                <label htmlFor={filterId}>{t('templates.filter')}</label>
                <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
              </div>
            )}
            <fieldset>
              <legend>{t('templates.list')}</legend>
              <ul className="template-list" role="list">
                {shown.map((tpl) => (
                  <li key={tpl.sid}>
                    <label className={`template-option${tpl.sid === selectedSid ? ' selected' : ''}`} data-testid="template-option" data-sid={tpl.sid}>
                      <input
                        type="radio"
                        name="template"
                        value={tpl.sid}
                        checked={tpl.sid === selectedSid}
                        onChange={() => {
                          setSelectedSid(tpl.sid);
                          setValues({});
                          setError(null);
                        }}
                      />
                      <span className="template-name">{tpl.name} <span className="template-lang">{tpl.language}</span></span>
                      <span className="template-body">{tpl.body}</span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
            {hidden > 0 && <p className="hint" data-testid="templates-hidden">{tn('templates.notApprovedHidden', hidden)}</p>}
          </div>
          <div className="template-detail">
            {selected ? (
              <>
                <TemplateFields template={selected} values={values} onChange={setValues} />
                {error !== null && <p className="form-error" role="alert" data-testid="template-error">{describeApiError(error, lang, t)}</p>}
                {!allFilled(selected, values) && <p className="hint">{t('templates.fillAll')}</p>}
                <button type="submit" className="primary" disabled={!ready} data-testid="template-send">
                  {sending ? t('templates.sending') : t('templates.send')}
                </button>
              </>
            ) : (
              <p className="hint">{t('templates.pick')}</p>
            )}
          </div>
        </form>
      )}
    </Dialog>
  );
}

/**
 * Toast notifications, stacked in the bottom-right corner above the status bar. While a dialog is
 * open they show inside it, under its content, so a toast never covers the dialog it is about.
 */
import type { JSX } from 'react';
import { dismissToast, holdToast, useUi } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';

/** The toasts: `inModal` for the copy a dialog shows at its foot. */
export function Toasts({ inModal = false }: { inModal?: boolean }): JSX.Element | null {
  const toasts = useUi((s) => s.toasts);
  // The command palette is an overlay, not a dialog with a foot: toasts stay in the corner then.
  const dialogOpen = useUi((s) => s.dialog !== null && s.dialog.kind !== 'commands');
  if (inModal !== dialogOpen || (inModal && toasts.length === 0)) return null;
  return (
    <div className={`ll-toasts${inModal ? ' in-modal' : ''}`} aria-live="polite" data-testid="toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`ll-toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} onPointerEnter={() => holdToast(t.id, true)} onPointerLeave={() => holdToast(t.id, false)}>
          <Icon name={t.kind === 'error' ? 'error' : t.kind === 'warning' ? 'warning' : t.kind === 'success' ? 'check' : 'help'} />
          <div className="msg">
            {t.message}
            {t.details && t.details.length > 1 && (
              <ul>
                {t.details.slice(0, 8).map((d, i) => (
                  <li key={i}>{d}</li>
                ))}
              </ul>
            )}
          </div>
          {t.action && (
            <button
              className="ll-btn small"
              onClick={() => {
                dismissToast(t.id);
                t.action?.run();
              }}
            >
              {t.action.label}
            </button>
          )}
          <button className="ll-tool" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

/**
 * The sidebar's Help control (the Help contributions of the capabilities'
 * UI, e.g. "About OrthoTwin") and the dialog that shows the chosen entry over
 * the active workspace.
 */
import { useEffect, useState } from 'react';
import type { WorkspaceContribution, WorkspaceProps } from './contributions.js';

/** The Help button and, while open, the list of Help entries. */
export function HelpMenu({ entries, onOpen }: { entries: readonly WorkspaceContribution[]; onOpen(id: string): void }) {
  const [expanded, setExpanded] = useState(false);
  if (entries.length === 0) return null;
  return (
    <div className="help-menu">
      <button aria-haspopup="menu" aria-expanded={expanded} onClick={() => setExpanded((x) => !x)}>
        Help
      </button>
      {expanded && (
        <ul role="menu" aria-label="help">
          {entries.map((c) => (
            <li key={c.id} role="none">
              <button
                role="menuitem"
                onClick={() => {
                  setExpanded(false);
                  onOpen(c.id);
                }}
              >
                {c.title}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A Help entry in a modal dialog (null: none open); Escape, the backdrop or Close closes it. */
export function HelpDialog({ entry, props, onClose }: { entry: WorkspaceContribution | null; props: WorkspaceProps; onClose(): void }) {
  useEffect(() => {
    if (!entry) return;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [entry, onClose]);
  if (!entry) return null;
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label={entry.title} onClick={(e) => e.stopPropagation()}>
        <div className="dialog-head">
          <h2>{entry.title}</h2>
          <button onClick={onClose}>Close</button>
        </div>
        <entry.component {...props} />
      </div>
    </div>
  );
}

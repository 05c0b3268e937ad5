/**
 * The shell's error banner: a sentence first (the service's message, its
 * repeated prefixes folded, without the error code), the technical detail
 * (code, the raw text with the lines under the sentence) behind a toggle.
 */
import { splitErrorText } from './errors.js';

export function ErrorBanner({ text, onDismiss }: { text: string; onDismiss(): void }) {
  const { sentence, code, detail } = splitErrorText(text);
  return (
    <div className="error" role="alert" data-testid="error">
      <span data-testid="error-sentence">{sentence}</span> <button onClick={onDismiss}>Dismiss</button>
      {(code || detail) && (
        <details style={{ fontSize: 12 }} data-testid="error-details">
          <summary>Technical details</summary>
          <span style={{ whiteSpace: 'pre-wrap' }}>
            {code && (
              <>
                <code>{code}</code> ·{' '}
              </>
            )}
            {text}
          </span>
        </details>
      )}
    </div>
  );
}

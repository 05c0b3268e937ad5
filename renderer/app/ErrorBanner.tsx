/**
 * The shell's error banner: a sentence first (the service's message, its
 * repeated prefixes folded, without the error code), the technical detail
 * (code, the raw text) behind a toggle.
 */
import { splitErrorText } from './errors.js';

export function ErrorBanner({ text, onDismiss }: { text: string; onDismiss(): void }) {
  const { sentence, code } = splitErrorText(text);
  return (
    <div className="error" role="alert" data-testid="error">
      <span data-testid="error-sentence">{sentence}</span> <button onClick={onDismiss}>Dismiss</button>
      {code && (
        <details style={{ fontSize: 12 }}>
          <summary>Technical details</summary>
          <code>{code}</code> · {text}
        </details>
      )}
    </div>
  );
}

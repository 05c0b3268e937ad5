/**
 * Renderer entry: shows a readable message instead of a blank window if the
 * application bundle itself fails to load or start.
 */
function showFatal(message: string): void {
  const root = document.getElementById('root');
  if (!root || root.dataset['started'] === 'yes') return;
  root.innerHTML = '';
  const box = document.createElement('div');
  box.className = 'fatal';
  box.setAttribute('role', 'alert');
  const h = document.createElement('h1');
  h.textContent = 'OrthoTwin could not start';
  const p = document.createElement('p');
  p.textContent = message;
  box.append(h, p);
  root.append(box);
}

window.addEventListener('error', (e) => showFatal(e.message));
window.addEventListener('unhandledrejection', (e) => showFatal(String((e.reason as Error | undefined)?.message ?? e.reason)));
import('./app/boot.js').catch((e: unknown) => showFatal(e instanceof Error ? e.message : String(e)));

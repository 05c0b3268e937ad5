/**
 * The planning view's mouse gestures and keyboard shortcuts: one table that
 * both the key handler (`shortcutFor`) and the help overlay (`?`) read, so
 * what the help lists is what the keys do. Each entry is listed once.
 */

/**
 * The measurement tools (sliceView's SliceTool less the crosshair; written out, not imported, so this table and its
 * test stay free of the DOM code of the views — the planning view's `setTool(a.tool)` checks they agree).
 */
type MeasureTool = 'ruler' | 'ellipse' | 'sphere' | 'angle' | 'cobb' | 'text';

/** What a keyboard shortcut does (the planning view carries it out). */
export type ViewerAction =
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'resetView' }
  /** Toggles a measurement tool (again: back to the crosshair). */
  | { kind: 'tool'; tool: MeasureTool }
  | { kind: 'screenshot' }
  /** Steps the view under the pointer `slices` slices: +slices for `upKey`, −slices for the other key of the entry. */
  | { kind: 'step'; slices: number; upKey: string }
  | { kind: 'removeLast' }
  | { kind: 'help' }
  /** Closes the help overlay, or else drops the tool (and its unfinished measurement). */
  | { kind: 'escape' };

/** The parts of a KeyboardEvent a shortcut looks at. */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
}

/** One line of the help: the keys or gesture, what it does, and for keyboard shortcuts the keys (`KeyboardEvent.key`) and the action. */
export interface Shortcut {
  /** As the help shows it, e.g. "Ctrl/⌘ + Z". */
  keys: string;
  what: string;
  /** Keyboard shortcuts only: the `key` values that trigger it, with Ctrl or ⌘ held when `mod` (Alt never). */
  on?: { keys: readonly string[]; mod?: boolean; shift?: boolean };
  action?: ViewerAction;
}

const tool = (key: string, t: MeasureTool, what: string): Shortcut => ({
  keys: key,
  what,
  on: { keys: [key.toLowerCase(), key] },
  action: { kind: 'tool', tool: t },
});

/** Every gesture and shortcut of the planning view, in the order the help lists them. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'click', what: 'move the crosshair to the voxel clicked (all views follow)' },
  { keys: 'double-click', what: 'maximise the view / restore the layout (the crosshair stays)' },
  { keys: 'left-drag', what: 'window (horizontal) / level (vertical)' },
  { keys: 'wheel', what: 'next / previous slice' },
  { keys: 'Ctrl/⌘ + wheel, right-drag', what: 'zoom about the pointer' },
  { keys: 'middle-drag', what: 'pan' },
  {
    keys: '↑ / ↓',
    what: 'next / previous slice in the view under the pointer',
    on: { keys: ['ArrowUp', 'ArrowDown'] },
    action: { kind: 'step', slices: 1, upKey: 'ArrowUp' },
  },
  {
    keys: 'Page Up / Page Down',
    what: '10 slices on / back in the view under the pointer',
    on: { keys: ['PageUp', 'PageDown'] },
    action: { kind: 'step', slices: 10, upKey: 'PageUp' },
  },
  tool('M', 'ruler', 'ruler on / off: two clicks measure a distance'),
  tool('E', 'ellipse', 'elliptical ROI on / off: the centre, then a corner; mean, SD, min, max, area'),
  tool('O', 'sphere', 'sphere ROI on / off: the centre, then a point on it; mean, SD, min, max, volume'),
  tool('A', 'angle', 'angle on / off: three clicks, the second the vertex'),
  tool('C', 'cobb', 'Cobb angle on / off: two lines, four clicks'),
  tool('T', 'text', 'text note on / off: a click, type, Enter'),
  { keys: 'S', what: 'screenshot (PNG) of the view under the pointer, with its measurements', on: { keys: ['s', 'S'] }, action: { kind: 'screenshot' } },
  { keys: 'R', what: 'reset zoom and pan', on: { keys: ['r', 'R'] }, action: { kind: 'resetView' } },
  { keys: 'Delete', what: 'remove the last measurement (undo brings it back)', on: { keys: ['Delete', 'Backspace'] }, action: { kind: 'removeLast' } },
  { keys: 'Ctrl/⌘ + Z', what: 'undo a measurement change', on: { keys: ['z', 'Z'], mod: true, shift: false }, action: { kind: 'undo' } },
  { keys: 'Ctrl/⌘ + Y', what: 'redo', on: { keys: ['y', 'Y'], mod: true }, action: { kind: 'redo' } },
  { keys: '?', what: 'this help on / off', on: { keys: ['?'] }, action: { kind: 'help' } },
  { keys: 'Esc', what: 'close this help; otherwise back to the crosshair tool', on: { keys: ['Escape'] }, action: { kind: 'escape' } },
];

/**
 * The keyboard shortcut a key event triggers, if any: its key among the entry's keys, Ctrl or ⌘ held exactly when the
 * entry asks for it, Alt never; Shift is ignored unless the entry says (so "M" and "m" are the same key, and "?" needs it).
 * Ctrl/⌘ + Shift + Z is redo, as in most editors.
 */
export function shortcutFor(e: KeyLike): Shortcut | undefined {
  if (e.altKey) return undefined;
  const mod = !!(e.ctrlKey || e.metaKey);
  if (mod && !!e.shiftKey && e.key.toLowerCase() === 'z') return SHORTCUTS.find((s) => s.action?.kind === 'redo');
  return SHORTCUTS.find((s) => s.on && s.on.keys.includes(e.key) && !!s.on.mod === mod && (s.on.shift === undefined || s.on.shift === !!e.shiftKey));
}

/** The key of a tool's shortcut as the help writes it ("M" for the ruler), for its button. */
export function toolKey(t: MeasureTool): string {
  return SHORTCUTS.find((s) => s.action?.kind === 'tool' && s.action.tool === t)?.keys ?? '';
}

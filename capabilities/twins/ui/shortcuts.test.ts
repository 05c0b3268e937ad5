/** The planning view's shortcut table: each shortcut listed once, and the keys the help lists are the keys the handler acts on. */
import { describe, expect, it } from 'vitest';
import { SHORTCUTS, shortcutFor, toolKey } from './shortcuts.js';

describe('viewer shortcuts', () => {
  it('lists each gesture and key once (M and E were listed twice)', () => {
    const keys = SHORTCUTS.map((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k === 'M')).toHaveLength(1);
    expect(keys.filter((k) => k === 'E')).toHaveLength(1);
    const bound = SHORTCUTS.flatMap((s) => (s.on ? s.on.keys.map((k) => `${s.on!.mod ? 'mod+' : ''}${k}`) : []));
    expect(new Set(bound).size).toBe(bound.length); // no key event triggers two entries
  });
  it('the handler acts on what the help lists', () => {
    expect(shortcutFor({ key: 'm' })?.action).toEqual({ kind: 'tool', tool: 'ruler' });
    expect(shortcutFor({ key: 'E', shiftKey: true })?.action).toEqual({ kind: 'tool', tool: 'ellipse' });
    expect(shortcutFor({ key: '?', shiftKey: true })?.action).toEqual({ kind: 'help' });
    expect(shortcutFor({ key: 'Escape' })?.action).toEqual({ kind: 'escape' });
    expect(shortcutFor({ key: 'z', ctrlKey: true })?.action).toEqual({ kind: 'undo' });
    expect(shortcutFor({ key: 'z', metaKey: true })?.action).toEqual({ kind: 'undo' });
    expect(shortcutFor({ key: 'Z', ctrlKey: true, shiftKey: true })?.action).toEqual({ kind: 'redo' });
    expect(shortcutFor({ key: 'y', ctrlKey: true })?.action).toEqual({ kind: 'redo' });
    expect(shortcutFor({ key: 'PageDown' })?.action).toEqual({ kind: 'step', slices: 10, upKey: 'PageUp' });
    expect(shortcutFor({ key: 'Backspace' })?.action).toEqual({ kind: 'removeLast' });
  });
  it('modifiers keep plain shortcuts out: Ctrl+S, Ctrl+R (reload), Alt+M and a bare Z do nothing here', () => {
    expect(shortcutFor({ key: 's', ctrlKey: true })).toBeUndefined();
    expect(shortcutFor({ key: 'r', metaKey: true })).toBeUndefined();
    expect(shortcutFor({ key: 'm', altKey: true })).toBeUndefined();
    expect(shortcutFor({ key: 'z' })).toBeUndefined();
  });
  it('every keyboard entry is reachable by one of its keys, and gestures have no keys', () => {
    for (const s of SHORTCUTS) {
      if (!s.on) {
        expect(s.action).toBeUndefined();
        continue;
      }
      expect(shortcutFor({ key: s.on.keys[0]!, ctrlKey: !!s.on.mod, shiftKey: s.on.shift ?? false })).toBe(s);
    }
    expect(toolKey('sphere')).toBe('O');
  });
});

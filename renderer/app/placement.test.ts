import { describe, expect, it } from 'vitest';
import { orderContributions, visibleTo, type Placed } from './placement.js';

const c = (id: string, order: number, roles: Placed['roles'] = 'all'): Placed => ({ id, roles, order });

describe('UI contributions', () => {
  it('orders the discovered contributions by order, then id', () => {
    const all = orderContributions({ a: { contributions: [c('users', 40), c('patients', 10)] }, b: { contributions: [c('fusion', 30), c('devices', 20)] } });
    expect(all.map((x) => x.id)).toEqual(['patients', 'devices', 'fusion', 'users']);
    expect(orderContributions({ a: { contributions: [c('b', 1), c('a', 1)] } }).map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('refuses two contributions with one id', () => {
    expect(() => orderContributions({ a: { contributions: [c('x', 1)] }, b: { contributions: [c('x', 2)] } })).toThrow(/"x"/);
  });

  it('shows a role-limited contribution to its roles, and to everyone in single-user mode', () => {
    const users = c('users', 40, ['administrator']);
    const status = (accountsEnabled: boolean, role: 'administrator' | 'sonographer' | null) => ({
      accountsEnabled,
      user: role ? { username: 'u', role } : null,
      locked: false,
      lockAfterMs: 0,
      allowed: [],
    });
    expect(visibleTo(users, status(false, null))).toBe(true);
    expect(visibleTo(users, status(true, 'administrator'))).toBe(true);
    expect(visibleTo(users, status(true, 'sonographer'))).toBe(false);
    expect(visibleTo(users, status(true, null))).toBe(false);
    expect(visibleTo(c('patients', 10), status(true, 'sonographer'))).toBe(true);
  });
});

/**
 * Where the shell places the capabilities' UI contributions: their order,
 * and who sees them. Pure (no React, no DOM) so that it is tested in node.
 */
import type { AuthStatus } from '../../capabilities/security/contract.js';
import type { Role } from '../../electron/contract/define.js';

/** The part of a contribution that decides where it shows and for whom. */
export interface Placed {
  id: string;
  /** Position among the contributions of the same menu (ascending). */
  order: number;
  /** Who sees it when sign-in is on ('all': everyone); in single-user mode everyone does. */
  roles: readonly Role[] | 'all';
}

/** Sorts the discovered modules' contributions by order (then id, so that ties are stable) and checks that ids are unique. */
export function orderContributions<C extends Placed>(modules: Record<string, { contributions: C[] }>): C[] {
  const all = Object.values(modules).flatMap((m) => m.contributions);
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.id)) throw new Error(`two UI contributions have the id "${c.id}"`);
    seen.add(c.id);
  }
  return all.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** Whether the session may see a contribution: everyone in single-user mode, else the signed-in user's role must be listed. */
export function visibleTo(c: Placed, status: AuthStatus): boolean {
  if (c.roles === 'all' || !status.accountsEnabled) return true;
  return status.user !== null && c.roles.includes(status.user.role);
}

/**
 * Whether the session may call a method now (`service.method`), as the services decide it (`auth.status`'s
 * `allowed`, from each method's roles and the site policy): a control behind a method the session may not call is
 * not shown.
 */
export function may(status: Pick<AuthStatus, 'allowed'>, method: string): boolean {
  return status.allowed.includes(method);
}

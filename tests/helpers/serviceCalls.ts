/**
 * Calls through the service API as both transports make them (parsed against
 * the contract, checked for the caller's role, audited, redacted), for
 * integration tests; and the outcome of a call that should fail.
 */
import { callService, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { parseCall } from '../../electron/platform/registry.js';

/** A `call(ctx, service, method, ...args)` on the host `host()` returns when called (tests replace their host). */
export function serviceCaller(host: () => ServiceHost): (ctx: CallContext, service: string, method: string, ...args: unknown[]) => Promise<unknown> {
  return async (ctx, service, method, ...args) => {
    const parsed = parseCall(service, method, args);
    return callService(host(), ctx, service, method, parsed.args);
  };
}

/** The error code and message of a call expected to fail ('OK' when it did not). */
export const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => ({ code: 'OK', message: '' }),
    (e: { code?: string; message: string }) => ({ code: e.code ?? 'NO CODE', message: e.message }),
  );

/**
 * Turns sign-in on with an administrator ("it") and signs in a surgeon ("dr.house") and a researcher ("res"), all
 * with `password`, on the given connections.
 */
export async function signInThreeRoles(
  call: ReturnType<typeof serviceCaller>,
  ctx: { admin: CallContext; surgeon: CallContext; research: CallContext },
  password: string,
): Promise<void> {
  await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password });
  await call(ctx.admin, 'auth', 'login', 'it', password);
  await call(ctx.admin, 'users', 'create', { username: 'dr.house', displayName: 'G. House', role: 'surgeon', password });
  await call(ctx.admin, 'users', 'create', { username: 'res', displayName: 'R. Searcher', role: 'researcher', password });
  await call(ctx.surgeon, 'auth', 'login', 'dr.house', password);
  await call(ctx.research, 'auth', 'login', 'res', password);
}

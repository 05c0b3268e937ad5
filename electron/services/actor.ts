/**
 * Who is calling: the signed-in user of the call being served (or the
 * workstation's local user in single-user mode), carried through the call's
 * asynchronous work with AsyncLocalStorage so that audit records and
 * `createdBy` fields name the right person — including job results committed
 * later (jobs.ts binds the worker's events to the starting call's context).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type Role = 'administrator' | 'surgeon' | 'sonographer' | 'researcher';
export interface Caller {
  actor: string;
  role: Role;
}

const als = new AsyncLocalStorage<Caller>();

/** Runs `fn` (and all its asynchronous continuations) as `caller`. */
export const runAs = <T>(caller: Caller, fn: () => T): T => als.run(caller, fn);

/** The caller of the call being served, if any. */
export const currentCaller = (): Caller | undefined => als.getStore();

/** The acting user's name for audit records, else `fallback` (the workstation's local user). */
export const currentActor = (fallback: string): string => als.getStore()?.actor ?? fallback;

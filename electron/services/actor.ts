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

/** A transport connection's per-connection state (its session token once signed in). */
export interface CallContext {
  token: string | null;
}

const als = new AsyncLocalStorage<{ caller: Caller; connection: CallContext | null }>();

/** Runs `fn` (and all its asynchronous continuations) as `caller`, for `connection` when it comes from a transport. */
export const runAs = <T>(caller: Caller, fn: () => T, connection: CallContext | null = null): T => als.run({ caller, connection }, fn);

/** The caller of the call being served, if any. */
export const currentCaller = (): Caller | undefined => als.getStore()?.caller;

/** The connection of the call being served, else `fallback` (direct calls: the CLI, tests). */
export const currentConnection = (fallback: CallContext): CallContext => als.getStore()?.connection ?? fallback;

/** The acting user's name for audit records, else `fallback` (the workstation's local user). */
export const currentActor = (fallback: string): string => als.getStore()?.caller.actor ?? fallback;

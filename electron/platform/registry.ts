/**
 * What the capability registry (capabilities/registry.ts, one line per
 * capability) adds up to: the service specs merged by service name, the job
 * kinds, the store schema (migrations, referenced files) and the CLI
 * subcommands. Nothing else enumerates the capabilities.
 */
import type { z } from 'zod';
import { parseSpecCall, type MethodSpec, type ServiceSpec } from '../contract/define.js';
import type { MethodName, MethodResult, ServiceMethods, ServiceName } from '../contract/registry.js';
import { AppError } from '../contract/errors.js';
import { DataRoutes } from '../contract/bulk.js';
import type { StoreSchema } from '../db/store.js';
import { PLATFORM_MIGRATIONS, PLATFORM_STORE_FILES } from '../db/migrations/index.js';
import type { Capability, CliCommand } from './capability.js';
import type { AnyJobDefinition } from './job.js';
import * as modules from '../../capabilities/registry.js';

/** Every capability (in the order of their names: a module namespace lists its exports sorted). */
export const CAPABILITIES: readonly Capability[] = Object.values(modules) as readonly Capability[];

function mergeServices(caps: readonly Capability[]): Record<string, ServiceSpec> {
  const out: Record<string, ServiceSpec> = {};
  for (const c of caps)
    for (const s of c.services) {
      const cur = (out[s.name] ??= { name: s.name, methods: {}, events: {} });
      for (const [m, spec] of Object.entries(s.methods)) {
        if (cur.methods[m]) throw new AppError('INTERNAL', `capability ${c.name}: ${s.name}.${m} is declared twice`);
        cur.methods[m] = spec;
      }
      Object.assign(cur.events, s.events);
    }
  return out;
}

/** Service name → the merged spec of its methods and events (over the capabilities contributing to it). */
export const SERVICES: Readonly<Record<string, ServiceSpec>> = mergeServices(CAPABILITIES);

/**
 * The spec of one method, or undefined: the capabilities' services, and the
 * bulk-data routes (`data.*`, electron/contract/bulk.ts), which access control
 * checks like calls but the RPC channel does not offer.
 */
export const methodSpec = (service: string, method: string): MethodSpec | undefined => {
  const s: ServiceSpec | undefined = Object.hasOwn(SERVICES, service) ? SERVICES[service] : service === DataRoutes.name ? DataRoutes : undefined;
  return s && Object.hasOwn(s.methods, method) ? s.methods[method] : undefined;
};

/**
 * Validates a call's arguments against the contract (both transports).
 * @throws Error with code BAD_REQUEST on an unknown service or method, or invalid arguments
 */
export function parseCall(service: string, method: string, args: unknown[]): { service: ServiceName; method: string; args: unknown[] } {
  return {
    service: service as ServiceName,
    method,
    args: parseSpecCall(Object.hasOwn(SERVICES, service) ? SERVICES[service] : undefined, service, method, args),
  };
}

const JOBS = new Map<string, AnyJobDefinition>();
for (const c of CAPABILITIES)
  for (const j of c.jobs ?? []) {
    if (JOBS.has(j.kind)) throw new AppError('INTERNAL', `capability ${c.name}: job kind ${j.kind} is declared twice`);
    JOBS.set(j.kind, j);
  }

/**
 * The definition of a job kind.
 * @throws AppError INTERNAL for a kind no capability declares
 */
export function jobDefinition(kind: string): AnyJobDefinition {
  const d = JOBS.get(kind);
  if (!d) throw new AppError('INTERNAL', `no capability declares the job kind ${kind}`);
  return d;
}

/** The shared database's schema: the platform's migrations and every capability's, and the files their rows refer to. */
export const STORE_SCHEMA: StoreSchema = {
  migrations: [...PLATFORM_MIGRATIONS, ...CAPABILITIES.flatMap((c) => c.migrations ?? [])],
  storeFiles: [...PLATFORM_STORE_FILES, ...CAPABILITIES.flatMap((c) => c.storeFiles ?? [])],
};

/** Every CLI subcommand, by name. */
export const CLI_COMMANDS: ReadonlyMap<string, CliCommand> = new Map(CAPABILITIES.flatMap((c) => (c.cli ?? []).map((k) => [k.name, k] as const)));

type ParsedArgs<S extends ServiceName, M extends MethodName<S>> =
  ServiceMethods<S>[M] extends MethodSpec<infer A, z.ZodTypeAny> ? (z.infer<A> extends unknown[] ? z.infer<A> : never) : never;

/** The implementation of every service: one (possibly async) function per method, taking parsed arguments. */
export type AllServiceImpls = {
  [S in ServiceName]: { [M in MethodName<S>]: (...args: ParsedArgs<S, M>) => Promise<MethodResult<S, M>> | MethodResult<S, M> };
};

/**
 * A capability is one folder (`capabilities/<name>/`) that registers itself
 * with one line in `capabilities/registry.ts`: its contract (services with
 * the roles, audit and redaction of each method), the implementation of
 * those services, its repository's migrations, its job kinds, and its CLI
 * subcommands. The UI of a capability lives in its `ui/` folder and is found
 * by the renderer on its own (renderer/app/contributions.ts).
 */
import type { EventEmitter } from 'node:events';
import { toErrorShape } from '../contract/errors.js';
import type { ServiceSpec, SpecImpl } from '../contract/define.js';
import type { EventName, EventPayload, ServiceName } from '../contract/registry.js';
import type { Migration, TwinStore } from '../db/store.js';
import type { AnyJobDefinition } from './job.js';
import type { JobService } from '../services/jobs.js';
import type { DevicesSupervisor } from '../services/devices.js';
import type { AccessControl, CallContext } from '../services/access.js';
import type { SitePolicy } from '../services/policy.js';
import type { KeyStore } from '../services/storeKey.js';

/** What a capability's services are given when the services start (one per process, shared by both transports and the CLI). */
export interface CapabilityContext {
  store: TwinStore;
  jobs: JobService;
  devices: DevicesSupervisor;
  access: AccessControl;
  policy: SitePolicy & { source?: string | null };
  /** Keeper of the store's key; null: the store is not encrypted. */
  keyStore: KeyStore | null;
  dataDir: string;
  transport: 'ipc' | 'websocket' | 'cli';
  /** Largest volume an import may hold (bytes); undefined: the default (io/headers.ts). */
  maxVolumeBytes: number | undefined;
  /** The acting user's name (the caller of the call being served, else the workstation's local user). */
  actor(): string;
  /** The local connection that direct calls of the implementation (CLI, tests) act as. */
  localCtx: CallContext;
  /** Emits a service event to the subscribers of both transports; the payload is typed from the event's schema. */
  emit<S extends ServiceName, E extends EventName<S>>(service: S, event: E, payload: EventPayload<S, E>): void;
  /** Every loaded capability, in registry order (for the About panel). */
  capabilities: readonly Capability[];
  /** Process-wide events (internal: `close` when the services stop). */
  lifecycle: EventEmitter;
}

/** A CLI subcommand: `npm run twin -- <name> …`. `run` imports its module when called (so neither the services nor the job workers load CLI code). */
export interface CliCommand {
  name: string;
  /** One usage line (shown by `twin` without arguments). */
  usage: string;
  /** Runs the command; resolves with the process exit code (0 ok, 1 failed, 2 bad usage). */
  run(argv: string[]): Promise<number>;
}

/** The implementation of a capability's service specs, keyed by service name. */
export type ImplOf<S extends readonly ServiceSpec[]> = UnionToIntersection<
  S[number] extends infer C ? (C extends ServiceSpec ? { [K in C['name']]: SpecImpl<C> } : never) : never
>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

export interface Capability<S extends readonly ServiceSpec[] = readonly ServiceSpec[]> {
  /** Folder name under capabilities/. */
  name: string;
  title: string;
  /** The capability's own version (semver), shown in About and stored nowhere else. */
  version: string;
  /** Its contract: the service specs (several capabilities may contribute methods to one service name). */
  services: S;
  /** Its services' implementation, made once per process (the second argument of defineCapability). */
  implement?(ctx: CapabilityContext): ImplOf<S>;
  /** Its job kinds (looked up by kind in the job worker). */
  jobs?: readonly AnyJobDefinition[];
  /** Its migrations (one global numbering across capabilities). */
  migrations?: readonly Migration[];
  /** Queries returning `rel_path` of files under store/ its rows refer to (crash recovery keeps them). */
  storeFiles?: readonly string[];
  /** Its CLI subcommands. */
  cli?: readonly CliCommand[];
}

/**
 * Declares a capability: what it is and brings (`services`, jobs, migrations,
 * CLI), then the implementation of its services, type-checked against them
 * (a second argument, so that the services' types are fixed before the
 * implementation's parameters are typed from them).
 */
export function defineCapability<const S extends readonly ServiceSpec[]>(
  c: Omit<Capability<S>, 'implement'>,
  implement?: (ctx: CapabilityContext) => ImplOf<S>,
): Capability<S> {
  return implement ? { ...c, implement } : c;
}

/**
 * A CLI command's failure: the error's shape as JSON on stdout (with `--json`) and one line `error [CODE]: message` on
 * stderr — no stack.
 * @returns 1, the exit code of a failed command
 */
export function cliFailure(e: unknown, json: boolean): 1 {
  const err = toErrorShape(e);
  if (json) process.stdout.write(JSON.stringify({ error: err }, null, 2) + '\n');
  console.error(`error [${err.code}]: ${err.message}`);
  return 1;
}

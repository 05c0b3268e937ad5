/**
 * The contract machinery: how a service (a set of methods and events), the
 * job worker's messages and the device host's messages are described — zod
 * schemas of arguments, results and event payloads, and beside each method
 * who may call it, whether the call is audited and what a researcher sees.
 * Runtime-neutral (no node:, no DOM, no electron): the renderer, the main
 * process, the workers and the device host all describe their messages with
 * it, and `ServiceRegistry` (registry.ts) collects the services' types.
 */
import { z } from 'zod';

export const Role = z.enum(['administrator', 'surgeon', 'sonographer', 'researcher']);
export type Role = z.infer<typeof Role>;

export const ALL_ROLES: readonly Role[] = ['administrator', 'surgeon', 'sonographer', 'researcher'];
/** Roles that acquire and handle patient data (no researcher). */
export const CLINICAL_ROLES: readonly Role[] = ['administrator', 'surgeon', 'sonographer'];
export const SURGEON_ROLES: readonly Role[] = ['administrator', 'surgeon'];
export const ADMIN_ROLES: readonly Role[] = ['administrator'];

/** The parts of the site policy a method's access rule may read. */
export interface PolicyView {
  export: { identifiedRoles: readonly Role[]; allowRetainDates: boolean };
}

/**
 * Who may call a method: a list of roles, `'public'` (no session needed:
 * sign-in, the app's identity), or a rule read from the site policy.
 */
export type AccessRule = readonly Role[] | 'public' | ((policy: PolicyView) => readonly Role[]);

/**
 * An audited call, recorded after it succeeded: `action` on `recordType`,
 * the record id being the call's first argument when it is a string (a
 * device spec's `kind` goes into the detail).
 */
export interface AuditRule {
  action: string;
  recordType: string;
  /** What goes into the record's detail: the method called (`via`, default) or the device spec's kind. */
  detail?: 'via' | 'spec-kind';
}

export interface MethodSpec<A extends z.ZodTypeAny = z.ZodTypeAny, R extends z.ZodTypeAny = z.ZodTypeAny> {
  args: A;
  result: R;
  /** Who may call it (checked where every call enters the services). */
  roles: AccessRule;
  /** Recorded in the audit log after it succeeded (reads of patient data, device sessions). */
  audit?: AuditRule;
  /** What a researcher receives instead of the result (de-identified). */
  redact?(value: z.infer<R>): z.infer<R>;
  /** A check of the arguments against the site policy: a refusal text (FORBIDDEN), or null. */
  policyCheck?(args: z.infer<A>, policy: PolicyView): string | null;
  /** What the caller tried to do, for a refusal ("a researcher may not delete a patient"). */
  verb?: string;
}

export interface ServiceSpec {
  name: string;
  methods: Record<string, MethodSpec>;
  events: Record<string, z.ZodTypeAny>;
}

/** Declares a service: its name, methods (schemas and rules) and events (payload schemas). */
export function defineService<const N extends string, M extends Record<string, MethodSpec>, E extends Record<string, z.ZodTypeAny>>(
  name: N,
  methods: M,
  events: E,
): { name: N; methods: M; events: E } {
  return { name, methods, events };
}

/** Argument tuple (as the caller writes it, defaults optional) of a method of a service spec. */
export type SpecArgs<S extends ServiceSpec, M extends keyof S['methods']> = S['methods'][M] extends MethodSpec<infer A, z.ZodTypeAny> ? z.input<A> : never;
/** Argument tuple after parsing (defaults filled), as the implementation receives it. */
export type SpecParsedArgs<S extends ServiceSpec, M extends keyof S['methods']> =
  S['methods'][M] extends MethodSpec<infer A, z.ZodTypeAny> ? (z.infer<A> extends unknown[] ? z.infer<A> : never) : never;
export type SpecResult<S extends ServiceSpec, M extends keyof S['methods']> = S['methods'][M] extends MethodSpec<z.ZodTypeAny, infer R> ? z.infer<R> : never;
export type SpecEventPayload<S extends ServiceSpec, E extends keyof S['events']> = S['events'][E] extends z.ZodTypeAny ? z.infer<S['events'][E]> : never;

/** The implementation of a service spec: one (possibly async) function per method, taking parsed arguments. */
export type SpecImpl<S extends ServiceSpec> = {
  [M in keyof S['methods'] & string]: (...args: SpecParsedArgs<S, M>) => Promise<SpecResult<S, M>> | SpecResult<S, M>;
};

/**
 * Validates a call against a service spec.
 * @returns the parsed arguments (defaults filled)
 * @throws Error with code BAD_REQUEST for an unknown method or invalid arguments (the message names the service, method and each invalid path)
 */
export function parseSpecCall(spec: ServiceSpec | undefined, service: string, method: string, args: unknown): unknown[] {
  // own properties only: `constructor`, `toString`, `__proto__` are no methods
  const m = spec && Object.hasOwn(spec.methods, method) ? spec.methods[method] : undefined;
  if (!spec || !m) throw Object.assign(new Error(`unknown method ${service}.${method}`), { code: 'BAD_REQUEST' as const });
  const parsed = m.args.safeParse(args);
  if (!parsed.success)
    throw Object.assign(
      new Error(`invalid arguments for ${service}.${method}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`),
      { code: 'BAD_REQUEST' as const },
    );
  return parsed.data as unknown[];
}

/**
 * Validates an event payload against a service spec's event schema.
 * @throws Error with code BAD_REQUEST for an unknown event or an invalid payload
 */
export function parseSpecEvent<S extends ServiceSpec, E extends keyof S['events'] & string>(spec: S, event: E, payload: unknown): SpecEventPayload<S, E> {
  const schema = Object.hasOwn(spec.events, event) ? spec.events[event] : undefined;
  if (!schema) throw Object.assign(new Error(`unknown event ${spec.name}.${event}`), { code: 'BAD_REQUEST' as const });
  const parsed = schema.safeParse(payload);
  if (!parsed.success)
    throw Object.assign(new Error(`invalid ${spec.name}.${event} payload: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`), {
      code: 'BAD_REQUEST' as const,
    });
  return parsed.data as SpecEventPayload<S, E>;
}

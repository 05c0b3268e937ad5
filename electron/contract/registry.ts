/**
 * The services' types, collected without a list: each capability's
 * contract.ts adds its service specs to `ServiceRegistry` by module
 * augmentation (`declare module '…/electron/contract/registry.js'`), keyed by a
 * name of its own; several capabilities may contribute methods to one
 * service name (the about capability adds `system.about`). The typed client,
 * the host and the implementations derive everything from it. Types only.
 */
import type { z } from 'zod';
import type { MethodSpec, ServiceSpec } from './define.js';

/** Contribution key → service spec (`defineService(...)`), augmented by each capability's contract. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ServiceRegistry {}

type Contribution = ServiceRegistry[keyof ServiceRegistry];
type SpecsNamed<S extends string> = Extract<Contribution, { name: S }>;
type MethodsOf<S extends string> = SpecsNamed<S> extends infer C ? (C extends ServiceSpec ? C['methods'] : never) : never;
type EventsOf<S extends string> = SpecsNamed<S> extends infer C ? (C extends ServiceSpec ? C['events'] : never) : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every service name (`patients`, `system`, …). */
export type ServiceName = Contribution extends infer C ? (C extends ServiceSpec ? C['name'] : never) : never;
/** The methods of a service, merged over the capabilities contributing to it. */
export type ServiceMethods<S extends ServiceName> = UnionToIntersection<MethodsOf<S>>;
export type ServiceEvents<S extends ServiceName> = UnionToIntersection<EventsOf<S>>;
export type MethodName<S extends ServiceName> = keyof ServiceMethods<S> & string;
export type EventName<S extends ServiceName> = keyof ServiceEvents<S> & string;
/** A method's argument tuple as the caller writes it (defaults optional). */
export type MethodArgs<S extends ServiceName, M extends MethodName<S>> = ServiceMethods<S>[M] extends MethodSpec<infer A, z.ZodTypeAny> ? z.input<A> : never;
/** A method's result. */
export type MethodResult<S extends ServiceName, M extends MethodName<S>> = ServiceMethods<S>[M] extends MethodSpec<z.ZodTypeAny, infer R> ? z.infer<R> : never;
/** An event's payload. */
export type EventPayload<S extends ServiceName, E extends EventName<S>> = ServiceEvents<S>[E] extends z.ZodTypeAny ? z.infer<ServiceEvents<S>[E]> : never;

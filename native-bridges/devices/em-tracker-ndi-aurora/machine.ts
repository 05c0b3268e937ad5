/**
 * The NDI driver's state machine (device-protocols.md §1.8):
 * closed → probing (9600 8N1, INIT) → configuring (COMM, version) →
 * ports (PHSR / PHRQ / PVWR / PINIT / PENA) → tracking (TSTART, BX polling)
 * → stopping (TSTOP) → closed. A lost link (unplug, repeated time-outs) goes
 * to reconnecting from any live state, and from there back to probing.
 * Pure: the driver asks for a transition; an illegal one throws, so a bug in
 * the driver cannot silently leave the device in an unknown mode.
 */
export type NdiState = 'closed' | 'probing' | 'configuring' | 'ports' | 'tracking' | 'stopping' | 'reconnecting' | 'failed';

export type NdiEvent = 'open' | 'initialized' | 'configured' | 'ports-ready' | 'port-change' | 'stop' | 'stopped' | 'link-lost' | 'reopened' | 'fail';

const TABLE: Readonly<Record<NdiState, Partial<Record<NdiEvent, NdiState>>>> = {
  closed: { open: 'probing' },
  probing: { initialized: 'configuring', 'link-lost': 'reconnecting', stop: 'stopping', fail: 'failed' },
  configuring: { configured: 'ports', 'link-lost': 'reconnecting', stop: 'stopping', fail: 'failed' },
  ports: { 'ports-ready': 'tracking', 'link-lost': 'reconnecting', stop: 'stopping', fail: 'failed' },
  tracking: { 'port-change': 'ports', 'link-lost': 'reconnecting', stop: 'stopping', fail: 'failed' },
  stopping: { stopped: 'closed', 'link-lost': 'closed' },
  reconnecting: { reopened: 'probing', stop: 'stopping', 'link-lost': 'reconnecting' },
  failed: { stop: 'stopping', open: 'probing' },
};

export class IllegalTransition extends Error {
  constructor(
    readonly state: NdiState,
    readonly event: NdiEvent,
  ) {
    super(`NDI driver: event "${event}" is not allowed in state "${state}"`);
    this.name = 'IllegalTransition';
  }
}

/** The next state for an event. @throws IllegalTransition when the event is not allowed in that state. */
export function ndiTransition(state: NdiState, event: NdiEvent): NdiState {
  const next = TABLE[state][event];
  if (!next) throw new IllegalTransition(state, event);
  return next;
}

/**
 * DevicesService: supervises the device host process and answers the
 * Devices contract. The host is forked (child_process in browser mode and in
 * the CLI; Electron's utilityProcess on the desktop, through the `spawn`
 * seam that main/ fills in); if it exits unexpectedly it is restarted with
 * exponential backoff (0.5 s, 1 s, 2 s … 30 s, reset after a minute of good
 * running) and the devices that were connected are connected again. The
 * state (running / restarting, restarts, last exit reason) is part of every
 * status so the UI shows it.
 */
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../contract/errors.js';
import { parseSpecEvent, type SpecArgs, type SpecEventPayload, type SpecResult } from '../contract/define.js';
import type { DeviceHostStatus, DeviceList, DeviceSpec, DeviceStatus, RecordedFile, RecordingStatus } from '../contract/devices.js';
import {
  DeviceHostProtocol,
  type DeviceFault,
  type RecordingOptions,
  type HostEvent,
  type HostMessage,
  type HostMethod,
  type HostRequest,
} from '../devicehost/protocol.js';

/** The child process as the supervisor sees it (child_process.ChildProcess or an adapted UtilityProcess). */
export interface HostChild {
  pid: number | null;
  send(m: HostRequest): void;
  onMessage(cb: (m: HostMessage) => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  /** Desktop: hands a MessagePort (MessageChannelMain end) to the host for a window's streams. */
  sendStreamPort?(port: unknown): void;
}

export type SpawnHost = (entry: string) => HostChild;

/** An event of DeviceHostProtocol with its payload, as the supervisor receives it after validation. */
type HostEventMessage = { [E in HostEvent]: { event: E; payload: SpecEventPayload<DeviceHostProtocol, E> } }[HostEvent];

const here = path.dirname(fileURLToPath(import.meta.url));

/** The device host entry: compiled JS when built, else the TypeScript source through tsx (tests, dev). */
export function deviceHostEntry(): { entry: string; execArgv: string[] } {
  const js = path.join(here, '..', 'devicehost', 'main.js');
  if (fs.existsSync(js)) return { entry: js, execArgv: [] };
  return { entry: path.join(here, '..', 'devicehost', 'main.ts'), execArgv: ['--import', 'tsx'] };
}

/** child_process.fork with an IPC channel (browser mode, CLI, tests). */
export const forkHost: SpawnHost = (entry) => {
  const { execArgv } = deviceHostEntry();
  const cp = fork(entry, [], { execArgv: entry.endsWith('.ts') ? execArgv : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  return {
    pid: cp.pid ?? null,
    send: (m) => {
      if (cp.connected) cp.send(m);
    },
    onMessage: (cb) => cp.on('message', (m) => cb(m as HostMessage)),
    onExit: (cb) => cp.on('exit', (code, signal) => cb(code, signal)),
    kill: () => cp.kill('SIGTERM'),
  };
};

export class DevicesSupervisor extends EventEmitter<{ changed: [DeviceList] }> {
  private child: HostChild | null = null;
  private host: DeviceHostStatus = { state: 'stopped', pid: null, restarts: 0, lastExit: null, usbUnavailable: null };
  private current: Omit<DeviceList, 'host'> = {
    devices: [],
    discovered: [],
    recording: {
      state: 'idle',
      dir: null,
      startedUs: null,
      frames: 0,
      files: 0,
      bytes: 0,
      lastFiles: [],
      elapsedMs: 0,
      bytesWritten: 0,
      freeDiskBytes: null,
      minFreeBytes: 2 * 1024 ** 3,
      stopReason: null,
      devices: [],
      subject: null,
    },
  };
  private streamUrl: string | null = null;
  private pending = new Map<number, { method: HostMethod; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextReq = 1;
  private ready: Promise<void> | null = null;
  private backoffMs = 500;
  private startedAt = 0;
  private stopping = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** Specs of devices the user connected (device id → spec), reconnected after a host restart. */
  private connected = new Map<string, DeviceSpec>();

  constructor(private readonly spawn: SpawnHost = forkHost) {
    super();
  }

  /** Starts the host if it is not running; resolves when it is ready. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    this.stopping = false;
    this.host = { ...this.host, state: this.host.restarts > 0 ? 'restarting' : 'starting' };
    const child = this.spawn(deviceHostEntry().entry);
    this.child = child;
    this.startedAt = Date.now();
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new AppError('DEVICE_TIMEOUT', 'the device host did not start within 20 s')), 20_000);
      child.onMessage((m) => {
        if (m.t === 'res') {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (!p) return;
          if (!m.ok) return p.reject(new AppError('DEVICE_ERROR', m.error));
          const parsed = DeviceHostProtocol.methods[p.method].result.safeParse(m.value);
          if (parsed.success) p.resolve(parsed.data);
          else
            p.reject(
              new AppError(
                'DEVICE_ERROR',
                `the device host answered ${p.method} with ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
              ),
            );
          return;
        }
        if (m.t !== 'event') return;
        const event = this.parseEvent(m);
        if (event?.event === 'ready') {
          clearTimeout(timer);
          this.streamUrl = event.payload.streamUrl;
          this.host = { ...this.host, state: 'running', pid: event.payload.pid };
          resolve();
        } else if (event?.event === 'status') {
          const st = event.payload;
          this.current = { devices: st.devices, discovered: st.discovered, recording: st.recording };
          this.host.usbUnavailable = st.usbUnavailable;
          this.emit('changed', this.snapshot());
        }
      });
    });
    this.ready.catch(() => undefined);
    child.onExit((code, signal) => this.onExit(child, code, signal));
    return this.ready;
  }

  private onExit(child: HostChild, code: number | null, signal: string | null): void {
    if (child !== this.child) return;
    this.child = null;
    this.ready = null;
    this.streamUrl = null;
    for (const p of this.pending.values()) p.reject(new AppError('DEVICE_ERROR', 'the device host exited'));
    this.pending.clear();
    const reason = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (this.stopping) {
      this.host = { ...this.host, state: 'stopped', pid: null, lastExit: reason };
      return;
    }
    if (Date.now() - this.startedAt > 60_000) this.backoffMs = 500;
    this.host = { ...this.host, state: 'restarting', pid: null, lastExit: reason, restarts: this.host.restarts + 1 };
    this.current = { ...this.current, devices: this.current.devices.map((d) => ({ ...d, state: 'reconnecting' as const })) };
    this.emit('changed', this.snapshot());
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.start()
        .then(() => this.reconnectAll())
        .catch(() => undefined);
    }, wait);
  }

  private async reconnectAll(): Promise<void> {
    const specs = [...this.connected.values()];
    this.connected.clear();
    for (const s of specs) await this.connect(s).catch(() => undefined);
  }

  /**
   * Validates an event from the host against DeviceHostProtocol.
   * @returns the event with its typed payload, or null (logged) for an unknown event or an invalid payload
   */
  private parseEvent(m: Extract<HostMessage, { t: 'event' }>): HostEventMessage | null {
    try {
      return { event: m.event, payload: parseSpecEvent(DeviceHostProtocol, m.event, m.payload) } as HostEventMessage;
    } catch (e) {
      console.error(`device host: ${(e as Error).message}`);
      return null;
    }
  }

  /**
   * Sends a request of DeviceHostProtocol to the host (starting it first) and waits for its answer.
   * @returns the method's result, validated against its schema
   * @throws AppError DEVICE_ERROR when the host refused it, answered out of schema, exited, or is not running
   */
  private async request<M extends HostMethod>(method: M, ...args: SpecArgs<DeviceHostProtocol, M> & unknown[]): Promise<SpecResult<DeviceHostProtocol, M>> {
    await this.start();
    const child = this.child;
    if (!child) throw new AppError('DEVICE_ERROR', 'the device host is not running');
    const id = this.nextReq++;
    return await new Promise<SpecResult<DeviceHostProtocol, M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      child.send({ t: 'req', id, method, args } as HostRequest);
    });
  }

  snapshot(): DeviceList {
    return { host: { ...this.host }, ...this.current };
  }

  /**
   * Connects a device in the host.
   * @returns its status; state `failed` (with `lastError`) when it did not start, in which case the host has not kept
   *   it (it is not listed, not reconnected after a restart, never offered as a source)
   * @throws AppError DEVICE_ERROR when the host refused the request or is not running
   */
  async connect(spec: DeviceSpec): Promise<DeviceStatus> {
    const st = await this.request('connect', spec);
    if (st.state !== 'failed') this.connected.set(st.id, spec);
    return st;
  }

  async disconnect(deviceId: string): Promise<boolean> {
    this.connected.delete(deviceId);
    return await this.request('disconnect', deviceId);
  }

  async setTimeOffset(deviceId: string, ms: number): Promise<DeviceStatus> {
    return await this.request('setTimeOffset', deviceId, ms);
  }

  async simulateFault(deviceId: string, fault: DeviceFault, count: number): Promise<DeviceStatus> {
    return await this.request('simulateFault', deviceId, fault, count);
  }

  /**
   * Starts recording every device's streams into `dir` (PLUS sequences, see devicehost/recorder.ts); it stops by
   * itself (files finished) when free disk falls below `o.minFreeBytes` (default 2 GiB).
   */
  async startRecording(dir: string, o: RecordingOptions = {}): Promise<RecordingStatus> {
    const st = await this.request('startRecording', dir, o);
    // listed as recording at once (the host's next status follows within 0.5 s)
    this.current = { ...this.current, recording: st };
    return st;
  }

  /** Stops the recording and returns the files written. */
  async stopRecording(): Promise<RecordedFile[]> {
    return await this.request('stopRecording');
  }

  /** Kills the host (the supervisor's restart is what this exercises). */
  async crashHost(): Promise<void> {
    await this.request('crash');
  }

  async list(): Promise<DeviceList> {
    await this.start();
    return this.snapshot();
  }

  /**
   * Desktop: connects a window's MessagePort to the host's streams (same
   * messages as the WebSocket, acknowledged per message for latest-wins).
   * @throws AppError DEVICE_ERROR where the host cannot take ports (browser mode)
   */
  async attachStreamPort(port: unknown): Promise<void> {
    await this.start();
    if (!this.child?.sendStreamPort) throw new AppError('DEVICE_ERROR', 'this device host takes no MessagePorts (browser mode streams over WebSocket)');
    this.child.sendStreamPort(port);
  }

  async streamEndpoint(): Promise<string> {
    await this.start();
    return this.streamUrl!;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const c = this.child;
    if (!c) return;
    await new Promise<void>((resolve) => {
      c.onExit(() => resolve());
      c.kill();
      setTimeout(resolve, 3000);
    });
  }
}

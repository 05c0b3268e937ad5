/**
 * A connected pair of pseudo-terminals made by socat
 * (`socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`): what a USB-serial
 * tracker and its host look like to each other, for simulators and tests.
 * Killing socat removes both ends, as pulling the USB cable removes
 * /dev/ttyUSB0; `replug` brings them back under the same names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export class PtyPair {
  private proc: ChildProcess | null = null;

  /** @param hostPath link for the host (driver) end; @param devicePath link for the device (simulator) end. */
  constructor(
    readonly hostPath: string,
    readonly devicePath: string,
  ) {}

  /**
   * Starts socat and waits until both links exist.
   * @throws Error when socat is missing or the links do not appear within 5 s.
   */
  async open(): Promise<void> {
    const p = spawn('socat', [`pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`], { stdio: 'ignore' });
    this.proc = p;
    const failed = new Promise<never>((_, reject) => p.once('error', (e) => reject(new Error(`socat could not start: ${e.message} (apt-get install socat)`))));
    const ready = (async () => {
      const t0 = Date.now();
      while (!(existsSync(this.hostPath) && existsSync(this.devicePath))) {
        if (Date.now() - t0 > 5000) throw new Error(`socat did not create ${this.hostPath} / ${this.devicePath} within 5 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await Promise.race([ready, failed]);
  }

  /** Removes both ends (the unplug). */
  async unplug(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
    const t0 = Date.now();
    while ((existsSync(this.hostPath) || existsSync(this.devicePath)) && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  close(): Promise<void> {
    return this.unplug();
  }
}

/** True when socat is installed (tests that need a pty pair skip, saying so, when it is not). */
export function hasSocat(): boolean {
  return ['/usr/bin/socat', '/bin/socat', '/usr/local/bin/socat'].some((p) => existsSync(p));
}

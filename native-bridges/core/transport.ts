/**
 * A byte transport (serial port, TCP socket, pty): what drivers and
 * simulators talk through. Implementations live in native-bridges/transports.
 */
export interface ByteTransport {
  /** Writes bytes; resolves when handed to the OS (drained). */
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the receiver of incoming bytes (one receiver). */
  onData(cb: (bytes: Uint8Array) => void): void;
  /** Called once when the transport goes away (closed, unplugged); `reason` says why. */
  onClose(cb: (reason: string) => void): void;
  /** Changes the line rate (serial only; other transports ignore it). */
  setBaudRate?(baud: number): Promise<void>;
  /** Drops bytes received but not yet delivered (serial: tcflush). */
  flush?(): Promise<void>;
  close(): Promise<void>;
  readonly description: string;
}

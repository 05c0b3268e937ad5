/**
 * ByteTransport over a serial port (node-serialport 13): 8N1, no handshake.
 * Works with real USB-serial adapters and with pty pairs (socat).
 */
import { SerialPort } from 'serialport';
import type { ByteTransport } from '../core/transport.js';

/**
 * Opens `path` at `baudRate` 8N1.
 * @throws Error naming the port and the OS reason when it cannot be opened.
 */
export async function openSerial(path: string, baudRate = 9600): Promise<ByteTransport> {
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new Error(`serial port ${path}: ${e.message}`)) : resolve())));
  let closeCb: ((reason: string) => void) | null = null;
  let closed = false;
  const fireClose = (reason: string): void => {
    if (closed) return;
    closed = true;
    closeCb?.(reason);
  };
  port.on('close', (e?: Error & { disconnected?: boolean }) => fireClose(e?.disconnected ? `${path} disconnected (${e.message})` : `${path} closed`));
  port.on('error', (e: Error) => fireClose(`${path}: ${e.message}`));
  return {
    description: `serial ${path}`,
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new Error(`serial port ${path} is closed`));
        port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (e) => {
          if (e) return reject(new Error(`serial port ${path}: ${e.message}`));
          port.drain(() => resolve());
        });
      }),
    onData: (cb) => {
      port.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    },
    onClose: (cb) => {
      closeCb = cb;
    },
    setBaudRate: (baud) =>
      new Promise<void>((resolve, reject) => port.update({ baudRate: baud }, (e) => (e ? reject(new Error(`serial port ${path}: ${e.message}`)) : resolve()))),
    flush: () => new Promise<void>((resolve) => port.flush(() => resolve())),
    close: async () => {
      closed = true;
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}

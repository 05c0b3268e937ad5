/**
 * Field diagnostics for OpenIGTLink (service engineers, hospital IT):
 *
 *   twin igtl receive (--port P [--host H] | --connect H:P) [--count N]
 *     prints every received message as one JSON line: type, device name,
 *     timestamp (s since 1970), header version, metadata and a summary of
 *     the body (matrix, image size/spacing, status, string…). Listens on
 *     127.0.0.1 unless --host says otherwise (0.0.0.0 to accept scanners).
 *   twin igtl send (--connect H:P | --port P) --device NAME
 *        (--transform "m11 … m44" | --string TEXT | --image FILE)
 *     sends one message (a TRANSFORM row-major 4×4 in mm, a STRING, or an
 *     IMAGE read from a NIfTI/NRRD/MetaImage/DICOM file, LPS) and exits.
 *
 * Exit code 0 on success, 1 on a connection or file error (with the reason),
 * 2 on bad usage.
 */
import net from 'node:net';
import path from 'node:path';
import { IgtlConnection } from '../../native-bridges/devices/igtl-openigtlink/driver.js';
import { IGTL_SCALAR, timestampSeconds, type IgtlContent, type IgtlMessage } from '../../native-bridges/devices/igtl-openigtlink/protocol.js';
import { indexToLps } from '../../math/geometry.js';
import { voxelTypeOf } from '../../electron/engine/volume.js';
import { readVolume } from '../../electron/io/readVolume.js';

const USAGE = [
  'usage: twin igtl receive (--port P [--host H] | --connect HOST:PORT) [--count N]',
  '       twin igtl send (--connect HOST:PORT | --port P) --device NAME (--transform "16 numbers" | --string TEXT | --image FILE)',
].join('\n');

class UsageError extends Error {}

function option(argv: string[], name: string): string | null {
  const i = argv.indexOf(name);
  if (i < 0) return null;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value\n${USAGE}`);
  return v;
}

/** A one-line JSON summary of a message (body values, not pixels). */
export function summarise(m: IgtlMessage): Record<string, unknown> {
  const c = m.content;
  const base = {
    type: m.header.type,
    device: m.header.deviceName,
    timestampS: timestampSeconds(m.header.timestamp),
    headerVersion: m.header.headerVersion,
    bodyBytes: Number(m.header.bodySize),
    metadata: m.metadata,
  };
  let body: Record<string, unknown>;
  if ('raw' in c) body = { undecoded: true };
  else if ('empty' in c) body = { empty: true };
  else if ('status' in c) body = { status: c.status };
  else
    switch (c.type) {
      case 'TRANSFORM':
        body = { matrix: c.matrix.map((x) => Number(x.toPrecision(7))) };
        break;
      case 'POSITION':
        body = { positionMm: c.positionMm, quaternion: c.quaternion };
        break;
      case 'IMAGE': {
        const sp = [0, 1, 2].map((a) => Number(Math.hypot(c.matrix[3 * a]!, c.matrix[3 * a + 1]!, c.matrix[3 * a + 2]!).toPrecision(6)));
        body = {
          size: c.size,
          spacingMm: sp,
          scalarType: Object.entries(IGTL_SCALAR).find(([, v]) => v === c.scalarType)?.[0] ?? c.scalarType,
          components: c.numComponents,
          coordinate: c.coordinate === 2 ? 'LPS' : 'RAS',
          centreMm: c.matrix.slice(9),
          pixelBytes: c.pixels.length,
        };
        break;
      }
      case 'POLYDATA': {
        const lo = [Infinity, Infinity, Infinity];
        const hi = [-Infinity, -Infinity, -Infinity];
        for (let i = 0; i < c.points.length; i++) {
          lo[i % 3] = Math.min(lo[i % 3]!, c.points[i]!);
          hi[i % 3] = Math.max(hi[i % 3]!, c.points[i]!);
        }
        body = {
          points: c.points.length / 3,
          vertices: c.vertices.count,
          lines: c.lines.count,
          polygons: c.polygons.count,
          triangleStrips: c.triangleStrips.count,
          boundsMm: c.points.length ? [lo, hi] : null,
          attributes: c.attributes.map((a) => ({ name: a.name, type: a.type, components: a.numComponents, tuples: a.data.length / a.numComponents })),
        };
        break;
      }
      case 'STATUS':
        body = { code: c.code, subCode: Number(c.subCode), errorName: c.errorName, message: c.message };
        break;
      case 'STRING':
        body = { encoding: c.encoding, value: c.value };
        break;
      case 'COMMAND':
        body = { commandId: c.commandId, name: c.name, content: c.content };
        break;
      case 'TDATA':
        body = { elements: c.elements.map((e) => ({ name: e.name, trackingType: e.trackingType, matrix: e.matrix })) };
        break;
      case 'STT_TDATA':
        body = { resolutionMs: c.resolutionMs, coordinateName: c.coordinateName };
        break;
      default:
        body = {};
    }
  return { ...base, ...body };
}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError(`--connect needs HOST:PORT, got ${s}\n${USAGE}`);
  return { host: s.slice(0, i), port };
}

/** One connection: as a client (--connect) or the first client of a server (--port). */
async function connection(argv: string[], onListening: (port: number) => void): Promise<{ conn: IgtlConnection; server: net.Server | null }> {
  const connect = option(argv, '--connect');
  const port = option(argv, '--port');
  if (connect) {
    const { host, port: p } = parseHostPort(connect);
    return { conn: await IgtlConnection.connect(host, p), server: null };
  }
  if (!port) throw new UsageError(`--port or --connect is needed\n${USAGE}`);
  const host = option(argv, '--host') ?? '127.0.0.1';
  return await new Promise((resolve, reject) => {
    const server = net.createServer((s) => resolve({ conn: new IgtlConnection(s), server }));
    server.once('error', reject);
    server.listen(Number(port), host, () => onListening((server.address() as net.AddressInfo).port));
  });
}

async function imageFromFile(file: string): Promise<IgtlContent> {
  const { volume: v } = await readVolume(path.resolve(file));
  const type = voxelTypeOf(v.data);
  const scalar = IGTL_SCALAR[type as keyof typeof IGTL_SCALAR];
  if (!scalar) throw new Error(`${file}: ${type} voxels cannot be sent as an OpenIGTLink IMAGE`);
  if (v.dims.some((d) => d > 65535)) throw new Error(`${file}: ${v.dims.join('×')} is larger than an IMAGE can carry`);
  const d = v.direction;
  const centre = indexToLps(
    v,
    v.dims.map((n) => (n - 1) / 2),
  );
  const matrix = [0, 1, 2].flatMap((a) => [d[a]! * v.spacingMm[a]!, d[3 + a]! * v.spacingMm[a]!, d[6 + a]! * v.spacingMm[a]!]).concat(centre);
  const pixels = new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  return {
    type: 'IMAGE',
    numComponents: 1,
    scalarType: scalar,
    endian: 2,
    coordinate: 2,
    size: v.dims,
    matrix,
    subvolumeOffset: [0, 0, 0],
    subvolumeSize: v.dims,
    pixels,
  };
}

/** Runs `twin igtl …`; returns the exit code. */
export async function runIgtl(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === 'receive') {
      const count = Number(option(rest, '--count') ?? Infinity);
      let n = 0;
      return await new Promise<number>((resolve, reject) => {
        let server: net.Server | null = null;
        const attach = (conn: IgtlConnection, last: boolean) => {
          conn.on('message', (m) => {
            process.stdout.write(JSON.stringify(summarise(m)) + '\n');
            if (++n >= count) {
              conn.close();
              server?.close();
              resolve(0);
            }
          });
          conn.on('warning', (w) => console.error(`warning: ${w}`));
          conn.on('close', ({ reason }) => {
            if (reason) console.error(`error: ${reason}`);
            else console.error('peer disconnected');
            // a client connection ends the command; a server waits for the next client
            if (last) resolve(reason ? 1 : 0);
          });
        };
        const connect = option(rest, '--connect');
        if (connect) {
          const { host, port } = parseHostPort(connect);
          IgtlConnection.connect(host, port).then((c) => attach(c, true), reject);
          return;
        }
        const port = option(rest, '--port');
        if (!port) throw new UsageError(`--port or --connect is needed\n${USAGE}`);
        server = net.createServer((sock) => attach(new IgtlConnection(sock), false));
        server.once('error', reject);
        server.listen(Number(port), option(rest, '--host') ?? '127.0.0.1', () =>
          console.error(`listening on port ${(server!.address() as net.AddressInfo).port}`),
        );
      });
    }
    if (verb === 'send') {
      const device = option(rest, '--device');
      if (!device) throw new UsageError(`--device is needed\n${USAGE}`);
      const t = option(rest, '--transform');
      const s = option(rest, '--string');
      const img = option(rest, '--image');
      let content: IgtlContent;
      if (t) {
        const m = t
          .trim()
          .split(/[\s,]+/)
          .map(Number);
        if (m.length !== 16 || m.some((x) => !Number.isFinite(x))) throw new UsageError(`--transform needs 16 numbers (row-major 4×4, mm)\n${USAGE}`);
        content = { type: 'TRANSFORM', matrix: m };
      } else if (s !== null) content = { type: 'STRING', encoding: 3, value: s };
      else if (img) content = await imageFromFile(img);
      else throw new UsageError(`one of --transform, --string or --image is needed\n${USAGE}`);
      const { conn, server } = await connection(rest, (p) => console.error(`listening on port ${p}`));
      conn.send(content, { deviceName: device });
      await new Promise<void>((resolve) => conn.socket.end(resolve));
      server?.close();
      console.error(`sent ${content.type} ${device}`);
      return 0;
    }
    throw new UsageError(USAGE);
  } catch (e) {
    console.error(e instanceof UsageError ? e.message : `error: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/**
 * OpenIGTLink messages as stream messages (PLUS Server's conventions): the
 * conversion both OpenIGTLink kinds (client, server) share.
 */
import { poseMatrix } from '../../../math/poseInterp.js';
import type { IgtlMessage } from '../../../native-bridges/devices/igtl-openigtlink/protocol.js';
import { depthFrameFromIgtl, pointCloudFromIgtl } from '../../../native-bridges/devices/depth/source.js';
import { emitDepthSample } from './depthEmit.js';
import type { Emit } from './runtime.js';

/** The IMAGE matrix (i, j, k axis vectors × spacing, then the centre; mm) as a row-major 4×4 from pixel index to mm. */
function igtlIjkToFrame(c: Extract<IgtlMessage['content'], { type: 'IMAGE' }>): number[] {
  const m = c.matrix;
  // the matrix places the image centre: origin = centre − (size − 1)/2 along each axis
  const o = [0, 1, 2].map((r) => m[9 + r]! - [0, 1, 2].reduce((s, a) => s + (m[3 * a + r]! * (c.size[a]! - 1)) / 2, 0));
  return [m[0]!, m[3]!, m[6]!, o[0]!, m[1]!, m[4]!, m[7]!, o[1]!, m[2]!, m[5]!, m[8]!, o[2]!, 0, 0, 0, 1];
}

/**
 * PLUS Server's transform validity: `TransformStatus` (igsio tool status,
 * `OK` when valid) or `TransformValid` (`1`/`0`) in version-3 metadata;
 * version-1/2 peers send only valid transforms.
 */
export function igtlTransformState(metadata: Record<string, string>): 'ok' | 'missing' {
  if (metadata['TransformStatus'] !== undefined) return metadata['TransformStatus'] === 'OK' ? 'ok' : 'missing';
  if (metadata['TransformValid'] !== undefined) return metadata['TransformValid'] === '0' ? 'missing' : 'ok';
  return 'ok';
}

/**
 * Streams of one OpenIGTLink message: TRANSFORM / TDATA / POSITION as poses
 * (full name from `IGTL_DEVICE_NAME` metadata when PLUS truncated it), IMAGE
 * uint8 as ultrasound frames with their ImageToReference matrix, IMAGE
 * uint16 as depth frames, POLYDATA as point clouds. STATUS, STRING and the
 * query/acknowledge messages carry no stream (PLUS keep-alives are STATUS).
 * @param acquiredUs the sender's timestamp mapped to the host clock (the receipt time when it sent none)
 * @returns whether the message was a data sample
 */
export function igtlToStream(id: string, m: IgtlMessage, seq: number, hostUs: number, acquiredUs: number, emit: Emit): boolean {
  const c = m.content;
  const name = m.metadata['IGTL_DEVICE_NAME'] ?? m.header.deviceName;
  const base = { device: id, seq, deviceTimeUs: acquiredUs, hostTimeUs: hostUs };
  if (c.type === 'TRANSFORM' && 'matrix' in c) emit({ ...base, stream: 'pose', poses: [{ name, matrix: c.matrix, state: igtlTransformState(m.metadata) }] });
  else if (c.type === 'POSITION' && 'positionMm' in c) {
    const q = c.quaternion;
    const matrix = q
      ? poseMatrix([q[3], q[0], q[1], q[2]], c.positionMm)
      : [1, 0, 0, c.positionMm[0], 0, 1, 0, c.positionMm[1], 0, 0, 1, c.positionMm[2], 0, 0, 0, 1];
    emit({ ...base, stream: 'pose', poses: [{ name, matrix, state: igtlTransformState(m.metadata) }] });
  } else if (c.type === 'TDATA' && 'elements' in c)
    emit({
      ...base,
      stream: 'pose',
      poses: c.elements.map((e) => ({ name: e.name, matrix: e.matrix, state: igtlTransformState({ TransformStatus: m.metadata[`${e.name}Status`] ?? 'OK' }) })),
    });
  else if (c.type === 'IMAGE' && 'pixels' in c) {
    const depth = depthFrameFromIgtl(c, m.metadata, base);
    if (depth) emitDepthSample(id, { kind: 'depth', frame: depth }, emit);
    else if (c.scalarType === 3 || c.scalarType === 2)
      emit(
        {
          ...base,
          stream: 'image',
          width: c.size[0],
          height: c.size[1],
          components: c.numComponents,
          scalar: 'uint8',
          ijkToFrame: igtlIjkToFrame(c),
          frame: name.includes('_') ? name.slice(name.lastIndexOf('_') + 1) : name,
        },
        c.pixels,
      );
    else return false;
  } else if (c.type === 'POLYDATA' && 'points' in c) emitDepthSample(id, pointCloudFromIgtl(c, base)!, emit);
  else return false;
  return true;
}

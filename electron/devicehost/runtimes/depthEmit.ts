/** Depth samples (depth frames, point clouds) as stream messages: shared by the depth kinds and OpenIGTLink. */
import type { DepthSample } from '../../../native-bridges/devices/depth/source.js';
import type { Emit } from './runtime.js';

/** Emits a depth sample (depth frame: uint16 payload; point cloud: float32 xyz payload) as a stream message. */
export function emitDepthSample(id: string, s: DepthSample, emit: Emit): void {
  if (s.kind === 'depth') {
    const f = s.frame;
    const K = f.intrinsics;
    emit(
      {
        device: id,
        stream: 'depth',
        seq: f.seq,
        deviceTimeUs: f.deviceTimeUs,
        hostTimeUs: f.hostTimeUs,
        width: K.width,
        height: K.height,
        components: 1,
        scalar: 'uint16',
        intrinsics: { fx: K.fx, fy: K.fy, cx: K.cx, cy: K.cy, depthScaleMm: K.depthScaleMm },
      },
      new Uint8Array(f.depth.buffer, f.depth.byteOffset, f.depth.byteLength),
    );
  } else {
    const c = s.cloud;
    emit(
      {
        device: id,
        stream: 'points',
        seq: c.seq,
        deviceTimeUs: c.deviceTimeUs,
        hostTimeUs: c.hostTimeUs,
        width: c.width,
        height: c.height,
        count: c.points.length / 3,
      },
      new Uint8Array(c.points.buffer, c.points.byteOffset, c.points.byteLength),
    );
  }
}

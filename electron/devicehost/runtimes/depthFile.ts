/** Device kind `depth-file`: a depth file (.pcd, .ply, .png + intrinsics .json) emitted at `fps` as a point-cloud source. */
import { basename } from 'node:path';
import { DepthFileSource, type DepthSource } from '../../../native-bridges/devices/depth/source.js';
import { DepthRuntime } from './depth.js';
import type { RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** A depth file replayed at `fps` as point clouds (driver state 'replaying'). */
export class DepthFileRuntime extends DepthRuntime {
  constructor(
    private readonly spec: SpecOf<'depth-file'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec, `Depth file ${basename(spec.path)}`, 'replaying');
  }

  protected openSource(): DepthSource {
    const src = new DepthFileSource(this.spec.path, this.spec.fps);
    this.status.streams = [{ name: `Points ${src.cloud.width}×${src.cloud.height}`, state: 'ok' }];
    this.provide('points');
    return src;
  }
}

/** Registry entry of `depth-file`: a file, simulated. */
export const depthFile: RuntimeFactory<'depth-file'> = {
  simulated: true,
  create: (spec, ctx) => new DepthFileRuntime(spec, ctx),
};

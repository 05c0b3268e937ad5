/**
 * Device kind `depth-simulator`: the depth-camera simulator — a skin mesh
 * (.vtp from the twin, LPS mm; a generic back when absent) seen from above
 * by a D435-like camera (640×480) at `fps`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { backPhantomMesh, overheadPose, SimulatedDepthSource, type DepthSource } from '../../../native-bridges/devices/depth/source.js';
import { decodeVtp } from '../../io/mesh.js';
import { DepthRuntime } from './depth.js';
import type { RuntimeContext, RuntimeFactory, SpecOf } from './runtime.js';

/** The depth-camera simulator rendering depth frames at `fps` (driver state 'rendering'). */
export class DepthSimulatorRuntime extends DepthRuntime {
  constructor(
    private readonly spec: SpecOf<'depth-simulator'>,
    ctx: RuntimeContext,
  ) {
    super(ctx, spec, `Depth camera simulator${spec.meshPath ? ` (${basename(spec.meshPath)})` : ''}`, 'rendering');
  }

  protected openSource(): DepthSource {
    const mesh = this.spec.meshPath ? decodeVtp(readFileSync(this.spec.meshPath)) : backPhantomMesh();
    const source = new SimulatedDepthSource(mesh, overheadPose(mesh), { fps: this.spec.fps });
    this.status.streams = [{ name: 'Depth 640×480 (D435-like)', state: 'ok' }];
    this.provide('depth');
    return source;
  }
}

/** Registry entry of `depth-simulator`: simulated. */
export const depthSimulator: RuntimeFactory<'depth-simulator'> = {
  simulated: true,
  create: (spec, ctx) => new DepthSimulatorRuntime(spec, ctx),
};

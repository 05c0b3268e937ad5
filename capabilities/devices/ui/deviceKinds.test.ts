import { describe, expect, it } from 'vitest';
import { replaySpec } from './deviceKinds.js';

describe('replaySpec', () => {
  it('replays a recording by its file name: depth files, motion C3D, else a PLUS sequence', () => {
    expect(replaySpec('/d/bun0.pcd')).toEqual({ kind: 'depth-file', path: '/d/bun0.pcd', fps: 5 });
    expect(replaySpec('/s/picox-simulator-1_Motion.C3D')).toEqual({ kind: 'c3d-replay', path: '/s/picox-simulator-1_Motion.C3D', loop: true });
    expect(replaySpec('/u/sweep.igs.mha')).toEqual({ kind: 'replay', path: '/u/sweep.igs.mha', loop: true });
  });
});

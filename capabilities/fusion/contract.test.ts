/**
 * The probe / patient reference rule of a fusion chain (`toolPairRefusal`): through the reference tool the probe and
 * the reference are two tools of one tracker; through the depth camera (a patient registration in use) the reference
 * tool is not used and nothing is refused for it.
 */
import { describe, expect, it } from 'vitest';
import { toolPairRefusal, usesReferenceTool } from './contract.js';

const replay = { id: 'replay-1', name: 'Replay SpinePhantomFreehand' };
const aurora = { id: 'aurora-1', name: 'NDI Aurora' };

describe('toolPairRefusal', () => {
  it('accepts two tools of one tracker through the reference', () => {
    expect(
      toolPairRefusal({
        probeTool: 'ProbeToTracker',
        referenceTool: 'ReferenceToTracker',
        throughReference: true,
        probeTracker: replay,
        referenceTracker: replay,
      }),
    ).toBeNull();
    // trackers not seen yet: nothing placed anyway, nothing refused
    expect(toolPairRefusal({ probeTool: 'ProbeToTracker', referenceTool: 'ReferenceToTracker', throughReference: true })).toBeNull();
  });

  it('refuses the same tool as the probe and the reference, saying why', () => {
    const same =
      'The probe tool and the patient reference cannot be the same tool (ProbeToTracker): the probe would be placed relative to itself. Choose the reference fixed to the patient, or none.';
    expect(toolPairRefusal({ probeTool: 'ProbeToTracker', referenceTool: 'ProbeToTracker', throughReference: true })).toBe(same);
    expect(
      toolPairRefusal({ probeTool: 'ProbeToTracker', referenceTool: 'ProbeToTracker', throughReference: true, probeTracker: replay, referenceTracker: replay }),
    ).toBe(same);
  });

  it('refuses a reference tracked by another tracker than the probe, naming both', () => {
    expect(
      toolPairRefusal({ probeTool: 'ProbeToTracker', referenceTool: 'Port1ToTracker', throughReference: true, probeTracker: replay, referenceTracker: aurora }),
    ).toBe(
      "The patient reference Port1ToTracker is tracked by NDI Aurora and the probe ProbeToTracker by Replay SpinePhantomFreehand: two trackers' coordinates are unrelated. Choose a reference tracked by Replay SpinePhantomFreehand, or none.",
    );
    // two trackers of one name: told apart by their ids
    expect(
      toolPairRefusal({
        probeTool: 'ProbeToTracker',
        referenceTool: 'ReferenceToTracker',
        throughReference: true,
        probeTracker: { id: 'replay-2', name: 'Replay' },
        referenceTracker: { id: 'replay-1', name: 'Replay' },
      }),
    ).toMatch(/tracked by Replay \(replay-1\) and the probe ProbeToTracker by Replay \(replay-2\)/);
  });

  it('through the depth camera, or without a reference, the reference tool is not used: nothing refused', () => {
    // the camera chain with the default reference seen on another device (a replay left connected): the pair the
    // reverted d0971db refused there, so that no frame of the camera chain was placed
    expect(
      toolPairRefusal({
        probeTool: 'ProbeToTracker',
        referenceTool: 'ReferenceToTracker',
        throughReference: false,
        probeTracker: replay,
        referenceTracker: aurora,
      }),
    ).toBeNull();
    expect(toolPairRefusal({ probeTool: 'ProbeToTracker', referenceTool: 'ProbeToTracker', throughReference: false })).toBeNull();
    expect(toolPairRefusal({ probeTool: 'ProbeToTracker', referenceTool: '', throughReference: true, probeTracker: replay })).toBeNull();
  });

  it('the chain goes through the reference tool only without a patient registration and with a reference chosen', () => {
    expect(usesReferenceTool(null, 'ReferenceToTracker')).toBe(true);
    expect(usesReferenceTool(null, '')).toBe(false);
    expect(usesReferenceTool('reg-1', 'ReferenceToTracker')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { toolChoices, type DeviceTools } from './trackerTools.js';

const replay: DeviceTools = { device: 'replay-1', deviceName: 'Replay SpinePhantom', tools: ['ProbeToTracker', 'ReferenceToTracker'] };
const aurora: DeviceTools = { device: 'aurora-1', deviceName: 'NDI Aurora', tools: ['Port1ToTracker', 'Port2ToTracker', 'Port3ToTracker', 'Port4ToTracker'] };

describe('toolChoices', () => {
  it('groups the probe tools by device with the device name in each option', () => {
    const c = toolChoices([replay, aurora], 'ProbeToTracker', '', 'replay-1');
    expect(c.probeGroups).toEqual([
      {
        deviceName: 'Replay SpinePhantom',
        options: [
          { value: 'ProbeToTracker', text: 'ProbeToTracker — Replay SpinePhantom' },
          { value: 'ReferenceToTracker', text: 'ReferenceToTracker — Replay SpinePhantom' },
        ],
      },
      {
        deviceName: 'NDI Aurora',
        options: ['Port1ToTracker', 'Port2ToTracker', 'Port3ToTracker', 'Port4ToTracker'].map((t) => ({ value: t, text: `${t} — NDI Aurora` })),
      },
    ]);
    expect(c.probeDevice?.device).toBe('replay-1');
  });
  it('offers as the reference only the other tools of the probe tracker (never the probe tool, never another tracker)', () => {
    expect(toolChoices([replay, aurora], 'ProbeToTracker', '').referenceOptions).toEqual([
      { value: 'ReferenceToTracker', text: 'ReferenceToTracker — Replay SpinePhantom' },
    ]);
    expect(toolChoices([replay, aurora], 'Port2ToTracker', '').referenceOptions.map((o) => o.value)).toEqual([
      'Port1ToTracker',
      'Port3ToTracker',
      'Port4ToTracker',
    ]);
  });
  it('the reference tool is not offered as the probe', () => {
    const c = toolChoices([replay], 'ProbeToTracker', 'ReferenceToTracker');
    expect(c.probeGroups[0]!.options.map((o) => o.value)).toEqual(['ProbeToTracker']);
    expect(c.refusal).toBeNull();
  });
  it('refuses the same tool as probe and reference', () => {
    expect(toolChoices([replay, aurora], 'ProbeToTracker', 'ProbeToTracker').refusal).toBe(
      'The probe tool and the patient reference cannot be the same tool (ProbeToTracker): choose the reference fixed to the patient, or none.',
    );
  });
  it('refuses a reference of another tracker than the probe', () => {
    expect(toolChoices([replay, aurora], 'ProbeToTracker', 'Port1ToTracker').refusal).toBe(
      'The patient reference Port1ToTracker is on NDI Aurora and the probe ProbeToTracker on Replay SpinePhantom: tools of different trackers are in different frames. Choose a reference of Replay SpinePhantom, or none.',
    );
    expect(toolChoices([replay, aurora], 'ProbeToTracker', 'ReferenceToTracker').refusal).toBeNull();
  });
});

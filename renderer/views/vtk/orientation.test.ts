import { describe, expect, it } from 'vitest';
import { VIEW_AXES, cross } from './orientation.js';

describe('radiological view orientations', () => {
  it('screen right and up of every camera match the declared world axes', () => {
    for (const [name, a] of Object.entries(VIEW_AXES)) {
      const right = cross(a.directionOfProjection, a.viewUp);
      const expectRight = [0, 0, 0];
      expectRight[a.rightAxis] = a.rightSign;
      expect(
        right.map((x) => x + 0),
        name,
      ).toEqual(expectRight);
      const expectUp = [0, 0, 0];
      expectUp[a.upAxis] = a.upSign;
      expect(
        a.viewUp.map((x) => x + 0),
        name,
      ).toEqual(expectUp);
      expect(Math.abs(a.directionOfProjection[a.normalAxis]!)).toBe(1);
    }
  });
  it('axial and coronal put the patient’s left on the screen’s right; sagittal puts anterior on the left', () => {
    expect(VIEW_AXES.axial.rightAxis).toBe(0); // +x = patient left
    expect(VIEW_AXES.coronal.rightAxis).toBe(0);
    expect(VIEW_AXES.sagittal).toMatchObject({ rightAxis: 1, rightSign: 1 }); // +y = posterior to the right
  });
});

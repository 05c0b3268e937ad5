/**
 * Moved to renderer/views/vtk/volumeImage.ts (shared by the twins' planning
 * view and the fusion workspace); this re-export keeps the fusion workspace's
 * import working until it moves to capabilities/fusion/ui/. Remove it then.
 */
export { makeImageData, voxelsFromBuffer } from '../../views/vtk/volumeImage.js';

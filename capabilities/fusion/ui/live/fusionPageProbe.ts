/**
 * The live fusion's page probe: what the workspace exposes on
 * `window.__orthotwinFusion` (see ../probe.ts) for end-to-end tests, the
 * latency benchmark and service engineers, read from the fusion loop and its views.
 */
import type { FusionProbe } from '../probe.js';
import type { LiveFusion } from './fusionViews.js';

/**
 * The probe over the live fusion; series are returned as copies.
 * @param ready the workspace has the prior volume loaded and its views made
 */
export function fusionProbe({ loop, views }: LiveFusion, ready: boolean): FusionProbe {
  const M = loop.metrics;
  return {
    ready: () => ready && views.resliceBackend() !== null,
    framesShown: () => M.shown,
    framesReceived: () => M.received,
    lastSeq: () => M.lastSeq,
    ncc: () => M.ncc.slice(),
    latenciesMs: () => M.latenciesMs.slice(),
    renderMs: () => M.renderMs.slice(),
    stagesMs: () => M.stages.slice(),
    view3dMs: () => M.view3dMs.slice(),
    transportMs: () => M.transport.slice(),
    enhanceMs: () => M.enhanceMs.slice(),
    dropped: () => ({ superseded: M.superseded, upstream: M.upstreamDropped, untracked: M.untracked, refused: M.refused }),
    plane: () => loop.plane,
    imageToVolume: () => loop.imageToVolume,
    frameBinning: () => loop.lastFrame?.binning ?? 1,
    frozen: () => loop.frozen,
    resliceBackend: () => views.resliceBackend(),
    gpuCpuAgreement: () => views.gpuCpuAgreement(loop.lastFrame),
    cineLength: () => loop.cine.length,
    resetStats: () => M.reset(),
  };
}

/** Installs the probe of `live` on the page (replacing the previous one). */
export function installFusionProbe(live: LiveFusion, ready: boolean): void {
  window.__orthotwinFusion = fusionProbe(live, ready);
}

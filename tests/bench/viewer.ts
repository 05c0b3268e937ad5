/**
 * `npm run bench -- viewer [baseline checkout]` (issue 20, must-show 3):
 * wheel-to-pixels and W/L-drag-to-pixels p50/p95 of the planning view's 2D
 * views on the 0.75 mm CT in Chromium (viewerLatency.ts), for this build and,
 * when a baseline checkout with its own built `dist/` and `dist-renderer/` is
 * given, for that build in the same run. Each measurement is a fresh host and
 * browser; runs alternate between the builds.
 */
import { execFileSync } from 'node:child_process';
import { measureViewerLatency, type ViewerLatency } from './viewerLatency.js';

const RUNS = 2;
const SAMPLES = 120;

const commitOf = (dir: string): string => {
  try {
    return execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 90);
  } catch {
    return dir;
  }
};

export async function viewerSection(dataRoot: string, machine: string, baseline?: string): Promise<string> {
  const builds: { name: string; dir: string }[] = [{ name: 'this build', dir: '.' }];
  if (baseline) builds.unshift({ name: 'baseline', dir: baseline });
  const runs = new Map<string, ViewerLatency[]>(builds.map((b) => [b.name, []]));
  for (let r = 0; r < RUNS; r++)
    for (const b of builds) {
      const m = await measureViewerLatency(dataRoot, SAMPLES, 'software', b.dir);
      console.error(`${b.name} run ${r + 1}: ${JSON.stringify(m)}`);
      runs.get(b.name)!.push(m);
    }
  const rows = builds.map((b) => {
    const ms = runs.get(b.name)!;
    // the worse run of each build is reported (p50, p95 and max of the run with the higher p95)
    const worst = (k: 'wheel' | 'windowLevel' | 'wheelAfterRest') => ms.reduce((a, x) => (x[k].p95 > a[k].p95 ? x : a))[k];
    const w = worst('wheel');
    const l = worst('windowLevel');
    const r = worst('wheelAfterRest');
    return `| ${b.name} (${commitOf(b.dir)}) | ${w.p50} | ${w.p95} | ${w.max} | ${w.changed}/${w.n} | ${l.p50} | ${l.p95} | ${l.max} | ${l.changed}/${l.n} | ${r.p50} | ${r.p95} | ${r.changed}/${r.n} |`;
  });
  const dims = runs.get('this build')![0]!.dims.join('×');
  return [
    '## viewer — wheel and W/L drag to pixels in the 2D views (0.75 mm CT)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}.`,
    `The built app in browser mode, Debian's Chromium as it runs on this machine without a GPU (software compositing, WebGL through SwiftShader — the desktop app runs the same way here), the 0.75 mm example CT (${dims} int16) imported and its twin built, planning view in the 2×2 layout at 1400×900 (three slice views and the 3D view of the skin and bone meshes). One sample = an input event dispatched over the axial view → the first display frame at which a 4-row strip across the axial canvas reads back changed (\`readPixels\`, which waits for the GPU); each sample starts at a frame boundary, so one display frame (16.7 ms) is the floor. ${SAMPLES} wheel steps (20 towards the head, 20 back, …) and ${SAMPLES} moves of a left-drag W/L (10 px each) per run; ${RUNS} runs per build, each in a fresh host and browser; the run with the higher p95 is shown. "Wheel after a rest": 30 steps each after 400 ms without input (the 3D view redraws its crosshair marker in the rest). "changed" = samples whose pixels changed within 1 s (the others count as 1 s). Target: p95 ≤ 50 ms.`,
    '',
    '| build | wheel p50 (ms) | wheel p95 | wheel max | changed | W/L p50 (ms) | W/L p95 | W/L max | changed | wheel after a rest p50 (ms) | p95 | changed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

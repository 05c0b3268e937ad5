/**
 * The shared example CT for the end-to-end suites: ORTHOTWIN_DATA or
 * ../shared/data next to the project; undefined when absent (the suites
 * skip with the reason).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA = [process.env['ORTHOTWIN_DATA'], path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data')].find(
  (d) => d && fs.existsSync(path.join(d, 'ct', 'totalseg_example_ct.nii.gz')),
);

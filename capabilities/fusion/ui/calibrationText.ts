/**
 * How the calibration table says a calibration (issue 20 §2): methods, the
 * meaning of the error, and the residuals by their human names with units,
 * instead of the stored field names ("validationMeanMm").
 */
import type { CalibrationRecord } from '../contract.js';
import { formatDateTime } from '../../../renderer/app/format.js';

/** A residual's name as the table says it, and its unit ('' for a count). */
export interface ResidualName {
  label: string;
  unit: string;
}

const RESIDUALS: Record<string, ResidualName> = {
  // N-wire probe calibration (PLUS fCal's 3D reprojection error of the wires)
  calibrationMeanMm: { label: 'Wire reprojection error on the calibration frames, mean', unit: 'mm' },
  calibrationStdMm: { label: 'Wire reprojection error on the calibration frames, SD', unit: 'mm' },
  validationMeanMm: { label: 'Wire reprojection error on the validation frames (not used for the fit), mean', unit: 'mm' },
  validationStdMm: { label: 'Wire reprojection error on the validation frames, SD', unit: 'mm' },
  pixelSpacingXMm: { label: 'Pixel size, lateral', unit: 'mm' },
  pixelSpacingYMm: { label: 'Pixel size, axial', unit: 'mm' },
  framesSegmented: { label: 'Frames with every wire found', unit: '' },
  framesTotal: { label: 'Frames in the recording', unit: '' },
  pointsUsed: { label: 'Wire points used', unit: '' },
  outliersRemoved: { label: 'Wire points left out as outliers', unit: '' },
  // pivot calibration
  rmsResidualMm: { label: 'RMS residual', unit: 'mm' },
  maxMm: { label: 'Largest tip deviation from the pivot point', unit: 'mm' },
  posesUsed: { label: 'Poses used', unit: '' },
  posesRejected: { label: 'Poses left out as outliers', unit: '' },
  rotationRangeDeg: { label: 'Rotation range of the pivoting', unit: '°' },
  // depth camera ↔ tracker
  freRmsMm: { label: 'Fiducial registration error (RMS)', unit: 'mm' },
  leaveOneOutRmsMm: { label: 'Error at a fiducial left out of the fit (RMS)', unit: 'mm' },
  pairs: { label: 'Fiducial pairs', unit: '' },
  removed: { label: 'Fiducials left out as outliers', unit: '' },
  rotationResidualDeg: { label: 'Rotation residual', unit: '°' },
  translationResidualMm: { label: 'Translation residual', unit: 'mm' },
  motions: { label: 'Motions', unit: '' },
  // temporal calibration
  peakNcc: { label: 'Correlation at the offset (NCC; 1 = identical motion)', unit: '' },
  framesWithLine: { label: 'Video frames with the plate line found', unit: '' },
  trackerSamples: { label: 'Tracker samples', unit: '' },
  axialProjection: { label: 'Motion projected on the probe axis (1 yes, 0 no)', unit: '' },
};

const UNITS: [RegExp, string][] = [
  [/Mm$/, 'mm'],
  [/Deg$/, '°'],
  [/Ms$/, 'ms'],
  [/Px$/, 'px'],
];

/** A stored residual's name and unit; an unknown one is spelled out from its field name ("meanTipErrorMm" → "Mean tip error", mm). */
export function residualName(key: string): ResidualName {
  const known = RESIDUALS[key];
  if (known) return known;
  const [re, unit] = UNITS.find(([r]) => r.test(key)) ?? [null, ''];
  const words = (re ? key.replace(re, '') : key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return { label: words.charAt(0).toUpperCase() + words.slice(1), unit };
}

/** A residual as one line: "Pixel size, lateral: 0.19 mm", counts without decimals. */
export function residualText(key: string, v: number): string {
  const { label, unit } = residualName(key);
  const value = unit === '' && Number.isInteger(v) ? String(v) : v.toFixed(unit === 'mm' && Math.abs(v) < 1 ? 3 : 2);
  return `${label}: ${value}${unit ? (unit === '°' ? '°' : ` ${unit}`) : ''}`;
}

const METHODS: Record<string, string> = {
  'plus-config': 'PLUS configuration',
  'n-wire': 'N-wire phantom',
  pivot: 'Pivot (stylus)',
  'line-motion-correlation': 'Video ↔ tracker motion',
  'paired-points': 'Fiducials, paired points',
  'hand-eye': 'Hand–eye motions',
};

/** The method as the table names it. */
export const methodName = (m: string): string => METHODS[m] ?? m;

/** What the error (mm) of a calibration made by this method is: the tooltip of its cell. */
export function errorMeaning(c: Pick<CalibrationRecord, 'method'>): string {
  switch (c.method) {
    case 'n-wire':
      return 'mean 3D reprojection error of the wires on the validation frames';
    case 'plus-config':
      return 'the error the PLUS configuration states for this transform';
    case 'pivot':
      return 'RMS distance of the stylus tip from the pivot point';
    case 'paired-points':
      return 'fiducial registration error (RMS)';
    case 'hand-eye':
      return 'translation residual of the hand–eye fit';
    default:
      return 'error of the calibration';
  }
}

/** The probe or tool a calibration belongs to: its device when the source says it, else the tool of its frames ("Stylus" of StylusTipToStylus). */
export function toolOf(c: Pick<CalibrationRecord, 'device' | 'fromFrame' | 'toFrame'>): string {
  if (c.device) return c.device;
  if (c.fromFrame === 'Image' || c.toFrame === 'Probe') return 'Probe';
  if (c.fromFrame === 'Video') return 'Video ↔ tracker';
  if (c.fromFrame === 'Camera') return 'Depth camera';
  return c.toFrame;
}

/**
 * When a calibration was made, in the UI's one date format: ISO 8601 as the
 * service stores it, or a PLUS configuration's own `Date` attribute as
 * imported ("022312_110631": MMDDYY_HHMMSS, or "2011.12.06 17:57:00"); the
 * raw text when it is neither, "—" when absent.
 */
export function madeText(calibratedAt: string): string {
  const s = calibratedAt.trim();
  if (!s) return '—';
  const plus = /^(\d{2})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(s);
  const dotted = /^(\d{4})[.-](\d{2})[.-](\d{2})[ T_](\d{2}):?(\d{2}):?(\d{2})?$/.exec(s);
  const iso = plus
    ? `20${plus[3]}-${plus[1]}-${plus[2]}T${plus[4]}:${plus[5]}:${plus[6]}`
    : dotted
      ? `${dotted[1]}-${dotted[2]}-${dotted[3]}T${dotted[4]}:${dotted[5]}:${dotted[6] ?? '00'}`
      : s;
  const out = formatDateTime(iso);
  return out === '—' ? s : out;
}

/**
 * `npm run twin -- enhance <image.png|sequence.igs.mha|.igs.nrrd> --model <denoise|sr2> --out <image.png|sequence.igs.mha|.igs.nrrd> [--threads N] [--json]`
 *
 * Runs an enhancement model of `models/manifest.json` (issue 22) on an 8-bit
 * grey PNG (written as an 8-bit grey PNG; an RGB/RGBA PNG is accepted only
 * when every pixel's channels are equal and it is opaque) or on every frame
 * of a PLUS sequence (written as a PLUS sequence: every per-frame field —
 * transforms with their statuses, timestamps, ImageStatus and the others —
 * and the image orientation and type are kept). For a model with scale s
 * (sr2: 2) the frames are s times wider and higher; the header's pixel
 * spacing (ElementSpacing / space directions) is divided by s, and a
 * per-frame transform from the image (`Image…To…Transform`, pixels → mm) is
 * composed with the pixel mapping x_in = (x_out + 0.5) / s − 0.5 so that it
 * still maps the new pixels to the same millimetres; transforms between
 * tracked tools are unchanged. A PLUS device-set configuration's ImageToProbe
 * calibration (outside the file) applies to the input's pixels: for an sr2
 * output, multiply it on the right by diag(1/s, 1/s, 1, 1) with the offset
 * (1/s − 1)/2 pixel (see `pixelMapForScale`).
 *
 * `--json` prints `{ model, version, sha256, task, scale, frames, inputSize:
 * [w, h], outputSize: [w, h], msPerFrame: { p50, p95 }, out }` (ms: the
 * model's wall-clock time per frame, padding and conversion included).
 * Exit code 0 on success, 1 on an error (one sentence naming the file and
 * the reason), 2 on bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { createEnhancer, type EnhancedFrame, type GreyFrame } from '../../electron/enhance/enhancer.js';
import { resolveModelsDir } from '../../electron/enhance/manifest.js';
import { framePixels, readPlusSequence, writePlusSequence, type PlusSequence } from '../../native-bridges/recording/plusSequence.js';

const USAGE =
  'usage: twin enhance <image.png|sequence.igs.mha|sequence.igs.nrrd> --model <denoise|sr2> --out <image.png|sequence.igs.mha|sequence.igs.nrrd> [--threads N] [--json]';

/** A file that cannot be enhanced: the message is one sentence naming it and the reason. */
class InputError extends Error {}

const isPng = (f: string): boolean => /\.png$/i.test(f);
const isSequence = (f: string): boolean => /\.(mha|nrrd)$/i.test(f);

/**
 * Reads an 8-bit PNG as grey.
 * @throws InputError for a missing file, a file that is not a PNG, a 16-bit (or 1/2/4-bit) PNG, a colour PNG whose channels differ, or one with transparency
 */
export function readGreyPng(file: string): GreyFrame {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    throw new InputError(`${file}: no such file (or it cannot be read)`);
  }
  if (buf.length < 8 || buf.readUInt32BE(0) !== 0x89504e47) throw new InputError(`${file}: not a PNG file (no PNG signature)`);
  let png: PNG;
  try {
    png = PNG.sync.read(buf, { skipRescale: true });
  } catch (e) {
    throw new InputError(`${file}: the PNG cannot be decoded (${(e as Error).message})`);
  }
  // pngjs gives RGBA: 4 values per pixel (16-bit files: 2 bytes each, kept as they are with skipRescale)
  const meta = png as PNG & { depth?: number; colorType?: number };
  if (meta.depth !== 8)
    throw new InputError(`${file}: a ${meta.depth}-bit PNG; only 8-bit grey images can be enhanced (the models take 8-bit ultrasound frames)`);
  const { width, height, data } = png;
  const pixels = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < pixels.length; i++, p += 4) {
    const r = data[p]!;
    if (data[p + 1] !== r || data[p + 2] !== r)
      throw new InputError(
        `${file}: a colour PNG (pixel ${i % width}, ${Math.floor(i / width)} has R, G, B = ${r}, ${data[p + 1]}, ${data[p + 2]}); only grey images can be enhanced`,
      );
    if (data[p + 3] !== 255) throw new InputError(`${file}: the PNG has transparent pixels; only opaque grey images can be enhanced`);
    pixels[i] = r;
  }
  return { width, height, pixels };
}

/** Writes an 8-bit grey PNG (colour type 0). */
export function writeGreyPng(file: string, f: { width: number; height: number; pixels: Uint8Array }): void {
  const png = new PNG({ width: f.width, height: f.height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(f.pixels.buffer, f.pixels.byteOffset, f.pixels.byteLength);
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 }));
}

/**
 * The row-major 4×4 taking output pixel coordinates (x, y, 0, 1) of a
 * scale-`s` model to the input's pixel coordinates, pixel centres aligned as
 * PyTorch's interpolate(align_corners=False): x_in = (x_out + 0.5) / s − 0.5.
 * An input pixels → mm transform T becomes T · pixelMapForScale(s).
 */
export function pixelMapForScale(s: number): number[] {
  const o = (1 / s - 1) / 2;
  return [1 / s, 0, 0, o, 0, 1 / s, 0, o, 0, 0, 1, 0, 0, 0, 0, 1];
}

function matMul(a: readonly number[], b: readonly number[]): number[] {
  const r = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) r[i * 4 + j]! += a[i * 4 + k]! * b[k * 4 + j]!;
  return r;
}

/** Nearest-rank percentile of `xs` (ms). */
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * Reads a PLUS sequence of 8-bit frames.
 * @throws InputError for a missing or unreadable file, a tracking-only sequence, or 16-bit (depth) frames
 */
function readUsSequence(file: string): PlusSequence {
  if (!fs.existsSync(file)) throw new InputError(`${file}: no such file`);
  let s: PlusSequence;
  try {
    s = readPlusSequence(file);
  } catch (e) {
    throw new InputError((e as Error).message.startsWith(file) ? (e as Error).message : `${file}: ${(e as Error).message}`);
  }
  if (s.width * s.height === 0 || s.pixels.length === 0)
    throw new InputError(`${file}: a tracking-only sequence (${s.frames.length} frames without images); there is nothing to enhance`);
  if (s.elementType !== 'uint8') throw new InputError(`${file}: 16-bit frames (a depth recording); only 8-bit ultrasound frames can be enhanced`);
  if (s.frames.length === 0) throw new InputError(`${file}: the sequence has no frames`);
  return s;
}

/** The per-frame field that marks a written sequence's frames as model output (so it is never taken for an acquisition). */
export const ENHANCEMENT_FIELD = 'OrthoTwinEnhancement';

/**
 * The sequence's frames enhanced: same per-frame fields, pixels s× in each direction, spacing / s, image transforms
 * composed with the pixel map; with `mark`, each frame also gets the field `OrthoTwinEnhancement` = mark (model,
 * version, hash: "model output, not acquired").
 */
export function enhancedSequence(s: PlusSequence, scale: number, frames: EnhancedFrame[], mark?: string): PlusSequence {
  const w = frames[0]!.width;
  const h = frames[0]!.height;
  const pixels = new Uint8Array(w * h * frames.length);
  frames.forEach((f, i) => pixels.set(f.pixels, i * w * h));
  const map = pixelMapForScale(scale);
  const sp = s.spacing ?? [1, 1, 1];
  const spacing: [number, number, number] = [sp[0] / scale, sp[1] / scale, sp[2]];
  return {
    ...s,
    width: w,
    height: h,
    ...(scale !== 1 || s.spacing ? { spacing } : {}),
    frames: s.frames.map((f) => ({
      ...f,
      ...(mark ? { fields: { ...f.fields, [ENHANCEMENT_FIELD]: mark } } : {}),
      transforms: Object.fromEntries(
        Object.entries(f.transforms).map(([name, t]) => [name, scale !== 1 && /^Image.*To/.test(name) ? { ...t, matrix: matMul(t.matrix, map) } : t]),
      ),
    })),
    pixels,
  };
}

/** What a written sequence's frames say of themselves: the model that made them, its version and hash. */
export function enhancementMark(info: { name: string; version: string; sha256: string }): string {
  return `model output of ${info.name} ${info.version} (sha256 ${info.sha256.slice(0, 16)}), not acquired frames`;
}

export async function runEnhance(argv: string[]): Promise<number> {
  let input = '',
    out = '',
    model = '',
    json = false,
    threads = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--model') model = argv[++i] ?? '';
    else if (a === '--out') out = argv[++i] ?? '';
    else if (a === '--threads') threads = Number(argv[++i]);
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!input) input = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!input || !out || !model) return (console.error(USAGE), 2);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) return (console.error(`--threads takes a whole number from 1 to 64\n${USAGE}`), 2);
  if (!isPng(input) && !isSequence(input)) return (console.error(`${input}: not a .png image or a PLUS sequence (.igs.mha, .igs.nrrd)\n${USAGE}`), 2);
  if (isPng(input) !== isPng(out) || (!isPng(out) && !isSequence(out)))
    return (console.error(`--out ${out}: a ${isPng(input) ? '.png image' : 'PLUS sequence (.igs.mha, .igs.nrrd)'} is written for ${input}\n${USAGE}`), 2);
  if (path.resolve(out) === path.resolve(input)) return (console.error(`--out ${out} is the input file: write the enhanced copy elsewhere`), 2);
  try {
    const png = isPng(input) ? readGreyPng(input) : null;
    const seq = png ? null : readUsSequence(input);
    const enhancer = await createEnhancer({ modelsDir: resolveModelsDir(), model, threads });
    const frames: EnhancedFrame[] = [];
    try {
      if (png) frames.push(await enhancer.enhance(png));
      else
        for (let i = 0; i < seq!.frames.length; i++)
          frames.push(await enhancer.enhance({ width: seq!.width, height: seq!.height, pixels: framePixels(seq!, i) }));
    } finally {
      await enhancer.close();
    }
    const info = enhancer.info;
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    if (png) writeGreyPng(out, frames[0]!);
    else writePlusSequence(out, enhancedSequence(seq!, info.scale, frames, enhancementMark(info)));
    const ms = frames.map((f) => f.ms);
    const inputSize = png ? [png.width, png.height] : [seq!.width, seq!.height];
    const result = {
      model: info.name,
      version: info.version,
      sha256: info.sha256,
      task: info.task,
      scale: info.scale,
      frames: frames.length,
      inputSize,
      outputSize: [frames[0]!.width, frames[0]!.height],
      msPerFrame: { p50: Number(percentile(ms, 50).toFixed(2)), p95: Number(percentile(ms, 95).toFixed(2)) },
      out: path.resolve(out),
      validation: info.validation,
      ...(png ? {} : { frameField: { [ENHANCEMENT_FIELD]: enhancementMark(info) } }),
    };
    if (json) console.log(JSON.stringify(result, null, 2));
    else
      console.log(
        `${info.name} ${info.version} (${info.task}, ×${info.scale}): ${frames.length} frame${frames.length === 1 ? '' : 's'} ` +
          `${inputSize.join('×')} → ${result.outputSize.join('×')}, ${result.msPerFrame.p50} ms per frame (p50), ${result.msPerFrame.p95} (p95)\n` +
          `validation: ${info.validation}\nwritten: ${result.out}`,
      );
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}

/**
 * Ultrasound enhancement (issue 22): the ONNX models' manifest
 * (`models/manifest.json`, format 1, written by
 * `training/us_enhance/manifest.py`) as zod schemas, shared by the runtime
 * (electron/enhance), the capability and the renderer. Pure: no Node.
 */
import { z } from 'zod';

/** One tensor of a model: NCHW float32, one channel, values in `range` (grey / 255 for [0, 1]). */
export const EnhanceTensorInfo = z.object({
  name: z.string().min(1),
  layout: z.literal('NCHW'),
  channels: z.literal(1),
  dtype: z.literal('float32'),
  range: z.tuple([z.number(), z.number()]),
});
export type EnhanceTensorInfo = z.infer<typeof EnhanceTensorInfo>;

/**
 * A model of the manifest: input float32 [1, 1, H, W] (8-bit grey / 255),
 * output [1, 1, scale·H, scale·W] in [0, 1]; H and W must be multiples of
 * `multipleOf` (the runtime pads by edge replication and crops back).
 */
export const EnhanceModelInfo = z.object({
  /** Short name used by the CLI and the services (`denoise`, `sr2`). */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  task: z.enum(['denoise', 'super-resolution']),
  version: z.string().min(1),
  /** DICOM modality of the images the model was trained on (US). */
  modality: z.string().min(1),
  /** File name in the models folder. */
  file: z.string().regex(/^[^/\\]+\.onnx$/),
  /** SHA-256 of the file, lower-case hex: a file that differs is refused. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  input: EnhanceTensorInfo,
  output: EnhanceTensorInfo,
  /** Output size / input size (1 for denoising, 2 for 2× super-resolution). */
  scale: z.number().int().min(1).max(8),
  multipleOf: z.number().int().min(1).max(64),
  /** The model card's file name in the models folder (Markdown). */
  card: z.string().min(1),
  /** One line: how far the model was validated. */
  validation: z.string(),
});
export type EnhanceModelInfo = z.infer<typeof EnhanceModelInfo>;

export const EnhanceManifest = z.object({
  format: z.literal(1),
  models: z.array(EnhanceModelInfo).min(1),
});
export type EnhanceManifest = z.infer<typeof EnhanceManifest>;

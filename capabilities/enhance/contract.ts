/**
 * Ultrasound enhancement (issue 22): the ONNX models' manifest
 * (`models/manifest.json`, format 1, written by
 * `training/us_enhance/manifest.py`) as zod schemas, shared by the runtime
 * (electron/enhance), the capability and the renderer. Pure: no Node.
 */
import { z } from 'zod';
import { ALL_ROLES, CLINICAL_ROLES, defineService } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';

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

/** A model of the manifest as the workstation finds it: its entry, whether its file is present and matches the SHA-256, and its card. */
export const EnhanceModelStatus = z.object({
  info: EnhanceModelInfo,
  /** The file is there and its SHA-256 is the manifest's (checked now, without loading it). */
  ok: z.boolean(),
  /** Why it cannot be used (a sentence naming the file), null when ok. */
  problem: z.string().nullable(),
  /** The model card's Markdown text; null when the card file is missing. */
  card: z.string().nullable(),
  /** The card's path in the models folder. */
  cardPath: z.string(),
});
export type EnhanceModelStatus = z.infer<typeof EnhanceModelStatus>;

/** Enhancement of a stored ultrasound volume, slice by slice along its third index axis, into a new series of the same patient. */
export const EnhanceVolumeRequest = z.object({
  volumeId: Id,
  /** The manifest's model name (`denoise`, `sr2`). */
  model: z.string().min(1).max(64),
});
export type EnhanceVolumeRequest = z.input<typeof EnhanceVolumeRequest>;

export const EnhanceService = defineService(
  'enhance',
  {
    /** The enhancement models of the manifest, each checked against its SHA-256, with its card (every signed-in role). */
    models: { roles: ALL_ROLES, args: z.tuple([]), result: z.array(EnhanceModelStatus) },
    /** Starts a job enhancing a stored 8-bit ultrasound volume with a model; its result is the new series. */
    enhanceVolume: { roles: CLINICAL_ROLES, verb: 'enhance ultrasound images', args: z.tuple([EnhanceVolumeRequest]), result: Id },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    enhance: typeof EnhanceService;
  }
}

/**
 * The enhancement models' manifest (`models/manifest.json`) on disk: where
 * the models folder is, reading and validating the manifest, and checking a
 * model file's SHA-256 against it before it is loaded. Node only; never
 * imports electron.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, type ErrorCode } from '../contract/errors.js';
import { appRoot } from '../platform/appInfo.js';
import { EnhanceManifest, type EnhanceModelInfo } from '../../capabilities/enhance/contract.js';

export type { EnhanceModelInfo } from '../../capabilities/enhance/contract.js';

/** An enhancement failure: a sentence naming the model or file and the reason (code COMPUTE_FAILED unless said). */
export class EnhanceError extends AppError {
  constructor(message: string, code: ErrorCode = 'COMPUTE_FAILED') {
    super(code, message);
    this.name = 'EnhanceError';
  }
}

/**
 * The models folder: `ORTHOTWIN_MODELS_DIR` when set; in a packaged app the
 * `models/` extra resource beside `app.asar` (`process.resourcesPath/models`,
 * electron-builder.yml); otherwise the repository's `models/` (the folder
 * above `dist/` or the sources, as `appRoot` finds `package.json`).
 */
export function resolveModelsDir(): string {
  const env = process.env['ORTHOTWIN_MODELS_DIR'];
  return env ? path.resolve(env) : modelsDirForAppRoot(appRoot());
}

/**
 * The models folder for an application root (the folder holding package.json):
 * `<resources>/models` when the root is `<resources>/app.asar` (a packaged
 * app: electron-builder's extra resources sit beside the asar), else
 * `<root>/models`.
 */
export function modelsDirForAppRoot(root: string): string {
  const parts = root.split(/[\\/]/);
  const asar = parts.lastIndexOf('app.asar');
  if (asar >= 0) return path.join(parts.slice(0, asar).join(path.sep) || path.sep, 'models');
  return path.join(root, 'models');
}

/**
 * Reads and validates `<modelsDir>/manifest.json`.
 * @returns the manifest (format 1) with its models in file order
 * @throws EnhanceError (NOT_FOUND) when the file is missing; (BAD_REQUEST) when it is not JSON or not a format-1 manifest, naming the fields
 */
export function loadManifest(modelsDir: string = resolveModelsDir()): EnhanceManifest {
  const file = path.join(modelsDir, 'manifest.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new EnhanceError(`${file}: the models' manifest cannot be read (no such file): no enhancement model is available`, 'NOT_FOUND');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EnhanceError(`${file}: the models' manifest is not JSON (${(e as Error).message})`, 'BAD_REQUEST');
  }
  const m = EnhanceManifest.safeParse(json);
  if (!m.success)
    throw new EnhanceError(
      `${file}: not a format-1 models manifest (${m.error.issues.map((i) => `${i.path.join('.') || 'root'}: ${i.message}`).join('; ')})`,
      'BAD_REQUEST',
    );
  const names = new Set<string>();
  for (const x of m.data.models) {
    if (names.has(x.name)) throw new EnhanceError(`${file}: the model name ${x.name} appears twice`, 'BAD_REQUEST');
    names.add(x.name);
  }
  return m.data;
}

/**
 * The manifest entry of one model.
 * @throws EnhanceError (NOT_FOUND) naming the model and the ones the manifest has
 */
export function modelInfo(manifest: EnhanceManifest, model: string, modelsDir: string): EnhanceModelInfo {
  const info = manifest.models.find((x) => x.name === model);
  if (!info)
    throw new EnhanceError(
      `no enhancement model named ${model} in ${path.join(modelsDir, 'manifest.json')} (it has ${manifest.models.map((x) => x.name).join(', ')})`,
      'NOT_FOUND',
    );
  return info;
}

/**
 * Reads a model's file and checks its SHA-256 against the manifest.
 * @returns the file's bytes (handed to onnxruntime as they were checked)
 * @throws EnhanceError naming the file when it is missing or its hash differs from the manifest's
 */
export function readVerifiedModel(modelsDir: string, info: EnhanceModelInfo): Uint8Array {
  const file = path.join(modelsDir, info.file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new EnhanceError(`model ${info.name}: its file ${file} cannot be read (missing): it is not loaded`, 'NOT_FOUND');
  }
  const got = crypto.createHash('sha256').update(bytes).digest('hex');
  if (got !== info.sha256)
    throw new EnhanceError(
      `model ${info.name}: ${file}: sha256 ${got} does not match the manifest (${info.sha256}): the model file was changed; it is not loaded`,
    );
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The result of checking one model without running it: the manifest entry, whether its file is there and matches, and why not. */
export interface ModelCheck {
  info: EnhanceModelInfo;
  ok: boolean;
  /** The EnhanceError's sentence when the file is missing or altered. */
  problem?: string;
}

/** Checks every model of the manifest (files present, SHA-256 as listed); never throws for a model, only for the manifest itself. */
export function checkModels(modelsDir: string = resolveModelsDir()): ModelCheck[] {
  return loadManifest(modelsDir).models.map((info) => {
    try {
      readVerifiedModel(modelsDir, info);
      return { info, ok: true };
    } catch (e) {
      return { info, ok: false, problem: (e as Error).message };
    }
  });
}

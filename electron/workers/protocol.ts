/** Messages between the job service and job.worker.ts. */
import type { ErrorShape } from '../contract/errors.js';
import type { VolumeGeometry } from '../../math/geometry.js';
import type { ArtefactKind, CalibrationRecord, Registration, ScanResult, SpineCorrections, SpineReport, TwinParams, VolumeRecord } from '../contract/index.js';
import type { FeatureValue } from '../engine/twinBuild.js';
import type { MeshTopology } from '../engine/surface.js';
import type { VolumeSourceMeta } from '../io/readVolume.js';

export type WorkerRequest =
  | {
      kind: 'import';
      path: string;
      seriesInstanceUid?: string;
      strict: boolean;
      maxBytes: number;
      stagingDir: string;
      buildTwin: boolean;
      params: TwinParams;
    }
  | { kind: 'twin-build'; volumePath: string; modality: 'CT' | 'MR'; params: TwinParams; stagingDir: string; fileKey: string | null }
  | { kind: 'scan'; path: string }
  | {
      kind: 'register';
      skinMeshPath: string;
      /** The store's file key (hex) when its files are sealed. */
      fileKey: string | null;
      geometry: VolumeGeometry;
      cloudPath: string;
      view: 'back' | 'front';
      points: { camera: number[][]; image: number[][] } | null;
    }
  | { kind: 'calibrate-probe'; sequencePath: string; configPath: string; validationEvery: number }
  | {
      kind: 'reconstruct';
      sequencePath: string;
      configPath: string;
      spacingMm: number | null;
      interpolation: 'nearest' | 'linear';
      fillHoles: boolean;
      referenceToImage: number[] | null;
      stagingDir: string;
    }
  | {
      kind: 'spine';
      /** The store's file key (hex) when its files are sealed. */
      fileKey: string | null;
      volumePath: string;
      boneMaskPath: string | null;
      boneMeshPath: string | null;
      skinMeshPath: string | null;
      corrections: SpineCorrections;
      /** Depth (mm) of the grey-level sampling along the bone mesh's inward normals. */
      greyDepthMm: number;
      stagingDir: string;
    };

export interface StagedArtefact {
  kind: ArtefactKind;
  format: 'nrrd' | 'vtp' | 'stl' | 'json' | 'csv';
  name: string;
  stagedPath: string;
  bytes: number;
  sha256: string;
  count: number;
}

export interface TwinSummary {
  skinVoxels: number;
  boneVoxels: number;
  skinTriangles: number;
  boneTriangles: number;
  trianglesBeforeDecimation: { skin: number; bone: number };
  skinTopology: MeshTopology;
  boneTopology: MeshTopology | null;
  maskInfo: Record<string, Record<string, number>>;
}

export type WorkerMessage =
  | { t: 'progress'; fraction: number; stage: string }
  | {
      t: 'volume';
      meta: VolumeSourceMeta;
      staged: { stagedPath: string; bytes: number; sha256: string };
      record: Omit<VolumeRecord, 'id' | 'seriesId'>;
      timingsMs: Record<string, number>;
    }
  | { t: 'twin'; artefacts: StagedArtefact[]; features: FeatureValue[]; timingsMs: Record<string, number>; summary: TwinSummary }
  | { t: 'scan'; result: ScanResult }
  | { t: 'calibration'; calibration: Omit<CalibrationRecord, 'id' | 'createdAt' | 'createdBy' | 'setup'> }
  | { t: 'spine'; report: SpineReport; artefacts: StagedArtefact[] }
  | {
      t: 'registration';
      registration: Pick<Registration, 'matrix' | 'residualRmsMm' | 'overlap' | 'predictedTreMm' | 'covariance' | 'centreLps' | 'refused' | 'details'>;
    }
  | { t: 'error'; error: ErrorShape }
  | { t: 'done' };

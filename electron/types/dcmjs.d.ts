/**
 * The part of dcmjs (0.51, untyped) OrthoTwin uses: the DICOM data dictionary (PS3.6), keyed "(GGGG,EEEE)"; reading,
 * naturalising and writing Part 10 files; the derivations (Segmentation, StructuredReport) and the TID 1500 / TID 300
 * helpers that the SEG and SR writers (electron/io/dicomSeg.ts, electron/io/dicomSr.ts) build on.
 */
declare module 'dcmjs' {
  /** A naturalised data set: keywords to values (sequences as arrays or one object, as dcmjs gives them). */
  type Naturalized = Record<string, unknown>;
  interface DicomDictInstance {
    dict: Record<string, unknown>;
    meta: Record<string, unknown>;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  interface DerivedInstance {
    dataset: Naturalized;
  }
  interface SegmentationInstance extends DerivedInstance {
    setNumberOfFrames(n: number): void;
    addSegment(segment: Naturalized, pixelData: Uint8Array, referencedFrameNumbers: number[]): void;
    bitPackPixelData(): void;
  }
  interface TID300MeasurementInstance {
    ReferencedSOPSequence: Naturalized;
    props: Record<string, unknown>;
    getMeasurement(entries: Naturalized[]): Naturalized[];
    contentItem(): Naturalized[];
  }
  const dcmjs: {
    data: {
      DicomMetaDictionary: {
        dictionary: Record<string, { tag: string; vr?: string; name?: string } | undefined>;
        naturalizeDataset(ds: Record<string, unknown>): Naturalized;
        denaturalizeDataset(ds: Naturalized): Record<string, unknown>;
        uid(): string;
        date(): string;
        time(): string;
        sopClassUIDsByName: Record<string, string>;
      };
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDictInstance;
      };
      DicomDict: new (meta: Record<string, unknown>) => DicomDictInstance;
      BitArray: { pack(a: Uint8Array): Uint8Array; unpack(a: ArrayBuffer | Uint8Array): Uint8Array };
    };
    derivations: {
      Segmentation: new (datasets: Naturalized[], options?: Record<string, unknown>) => SegmentationInstance;
      StructuredReport: new (datasets: Naturalized[], options?: Record<string, unknown>) => DerivedInstance;
    };
    utilities: {
      TID1500: {
        TID1500MeasurementReport: new (groups: { TID1501MeasurementGroups: unknown[] }) => {
          contentItem(source: Naturalized | Naturalized[], options?: Record<string, unknown>): Naturalized;
          tid1500: Naturalized;
        };
        TID1501MeasurementGroup: new (measurements: TID300MeasurementInstance[]) => unknown;
      };
      TID300: {
        TID300Measurement: new (props: Record<string, unknown>) => TID300MeasurementInstance;
      };
    };
  };
  export default dcmjs;
}

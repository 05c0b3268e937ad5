/** The part of dcmjs (0.51, untyped) OrthoTwin uses: the DICOM data dictionary (PS3.6), keyed "(GGGG,EEEE)". */
declare module 'dcmjs' {
  const dcmjs: {
    data: { DicomMetaDictionary: { dictionary: Record<string, { tag: string; vr?: string; name?: string } | undefined> } };
  };
  export default dcmjs;
}

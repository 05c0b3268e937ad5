/**
 * A Comprehensive 3D SR measurement report after TID 1500 (PS3.16: Imaging
 * Measurement Report → TID 1501 Measurement Groups → TID 300 numeric
 * measurements), written with dcmjs 0.51 the way OHIF does: `utilities.
 * TID1500` + `TID300Measurement` content items + `derivations.
 * StructuredReport` (dcmjs's `sr.templates` classes are broken, dcmjs issue
 * #434). dcmjs's report is adjusted where it does not fit: the observer is
 * the software (TID 1004 Device Observer Identifying Attributes) rather than
 * an unknown person, the private coding scheme is OrthoTwin's, and the SOP
 * class is Comprehensive 3D SR. Each measurement group references one source
 * image (the slice at the measured structure) in the Image Library and the
 * evidence sequence, so the report references the source series. A group may
 * carry a stable Tracking Unique Identifier, a laterality under its finding
 * site (which is written as a concept modifier, TID 1501, where dcmjs's
 * TID300Measurement writes CONTAINS), coded and text items after its
 * measurements, and a measurement may be INFERRED FROM a SCOORD3D (TID 320:
 * points in the source's Frame of Reference, DICOM patient coordinates, LPS
 * mm).
 */
import { AppError } from '../contract/errors.js';
import { type Code, copyFromSource, dcmjs, PATIENT_STUDY_ATTRIBUTES, readPart10, type SourceSeries, writePart10 } from './dicomSeg.js';

type Naturalized = Record<string, unknown>;
export const COMPREHENSIVE_3D_SR_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.88.34';

/**
 * Spatial coordinates a measurement is inferred from (TID 320 with 3D coordinates): a SCOORD3D content item whose
 * points are in the referenced Frame of Reference, i.e. DICOM patient coordinates (LPS, mm).
 */
export interface SrScoord3d {
  graphicType: 'POINT' | 'MULTIPOINT' | 'POLYLINE';
  /** LPS mm (patient coordinates of `frameOfReferenceUid`). */
  points: [number, number, number][];
  frameOfReferenceUid: string;
}

/** One numeric measurement (TID 300): its concept, value rounded to `decimals`, UCUM unit, concept modifiers and the coordinates it is inferred from. */
export interface SrNumeric {
  concept: Code;
  value: number;
  unit: Code;
  decimals: number;
  modifiers?: { name: Code; value: Code }[];
  /** Written as an INFERRED FROM SCOORD3D child of the NUM item. */
  scoord3d?: SrScoord3d;
}

/** One TID 1501 measurement group: what it is about (tracking identifier and UID, finding, finding site and its laterality) and its measurements. */
export interface SrGroup {
  trackingId: string;
  /** Tracking Unique Identifier (DCM 112040); default a fresh UID. A stable one lets a reader follow the same finding across reports. */
  trackingUid?: string;
  finding?: Code;
  findingSite?: Code;
  /** Laterality (SCT 272741003) as a concept modifier of the finding site (CID 244: Left, Right). */
  laterality?: Code;
  /** The source instance the group's measurements are made on (the slice at the structure). */
  reference: { sopClassUid: string; sopInstanceUid: string };
  measurements: SrNumeric[];
  /** Coded evaluations of the group (CONTAINS CODE, after the measurements), e.g. a grade. */
  codes?: { concept: Code; value: Code }[];
  /** Text items of the group (CONTAINS TEXT, last), e.g. a plan version or a comment. */
  texts?: { concept: Code; value: string }[];
}

export interface SrWriteOptions {
  seriesNumber: number;
  seriesDescription: string;
  manufacturer: string;
  modelName: string;
  softwareVersions: string;
  /** Device Observer UID: the software as the observer. */
  deviceObserverUid: string;
  deviceObserverName: string;
  /** The private coding scheme used for concepts without a standard code. */
  privateScheme: { designator: string; name: string; version: string; organization: string };
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
}

const dcm = (CodeValue: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator: 'DCM', CodeMeaning });

/** TID 1002/1004: the observer is a device (the software). */
function deviceObserver(o: SrWriteOptions): Naturalized[] {
  const text = (c: Code, TextValue: string): Naturalized => ({ RelationshipType: 'HAS OBS CONTEXT', ValueType: 'TEXT', ConceptNameCodeSequence: c, TextValue });
  return [
    {
      RelationshipType: 'HAS OBS CONTEXT',
      ValueType: 'CODE',
      ConceptNameCodeSequence: dcm('121005', 'Observer Type'),
      ConceptCodeSequence: dcm('121007', 'Device'),
    },
    { RelationshipType: 'HAS OBS CONTEXT', ValueType: 'UIDREF', ConceptNameCodeSequence: dcm('121012', 'Device Observer UID'), UID: o.deviceObserverUid },
    text(dcm('121013', 'Device Observer Name'), o.deviceObserverName),
    text(dcm('121014', 'Device Observer Manufacturer'), o.manufacturer),
    text(dcm('121015', 'Device Observer Model Name'), o.modelName),
  ];
}

const str = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : v === undefined || v === null ? '' : String(v)).trim();

/** A NUM content item (CONTAINS) with its unit, modifiers and the SCOORD3D it is inferred from. */
function numItem(m: SrNumeric): Naturalized {
  const children: Naturalized[] = (m.modifiers ?? []).map((x) => ({
    RelationshipType: 'HAS CONCEPT MOD',
    ValueType: 'CODE',
    ConceptNameCodeSequence: x.name,
    ConceptCodeSequence: x.value,
  }));
  if (m.scoord3d) {
    const { graphicType, points, frameOfReferenceUid } = m.scoord3d;
    if (!points.length || points.some((p) => p.length !== 3 || p.some((x) => !Number.isFinite(x))))
      throw new AppError('BAD_REQUEST', `SCOORD3D of "${m.concept.CodeMeaning}": points must be finite LPS triples`);
    children.push({
      RelationshipType: 'INFERRED FROM',
      ValueType: 'SCOORD3D',
      GraphicType: graphicType,
      GraphicData: points.flat(),
      ReferencedFrameOfReferenceUID: frameOfReferenceUid,
    });
  }
  return {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: m.concept,
    MeasuredValueSequence: { MeasurementUnitsCodeSequence: m.unit, NumericValue: m.value.toFixed(m.decimals) },
    ...(children.length ? { ContentSequence: children } : {}),
  };
}

/** SCT 272741003 "Laterality", the concept modifier of a finding site (TID 1501; as dcmjs's `FindingSite` writes it). */
const LATERALITY: Code = { CodeValue: '272741003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Laterality' };

/**
 * The group's content items in TID 1501 order: dcmjs's tracking, finding and finding site items (adjusted: the
 * tracking UID, the site as a concept modifier with its laterality), the measurements, then the codes and texts.
 */
function groupItems(base: Naturalized[], nums: Naturalized[], g: SrGroup): Naturalized[] {
  const items = base.map((x) => ({ ...x }));
  for (const x of items) {
    const cv = str((x['ConceptNameCodeSequence'] as Naturalized | undefined)?.['CodeValue']);
    if (cv === '112040' && g.trackingUid) x['UID'] = g.trackingUid;
    if (cv === '363698007') {
      // TID 1501: Finding Site is a concept modifier of the group, its laterality a concept modifier of the site
      x['RelationshipType'] = 'HAS CONCEPT MOD';
      if (g.laterality)
        x['ContentSequence'] = [
          { RelationshipType: 'HAS CONCEPT MOD', ValueType: 'CODE', ConceptNameCodeSequence: LATERALITY, ConceptCodeSequence: g.laterality },
        ];
    }
  }
  return [
    ...items,
    ...nums,
    ...(g.codes ?? []).map((c) => ({ RelationshipType: 'CONTAINS', ValueType: 'CODE', ConceptNameCodeSequence: c.concept, ConceptCodeSequence: c.value })),
    ...(g.texts ?? []).map((t) => ({ RelationshipType: 'CONTAINS', ValueType: 'TEXT', ConceptNameCodeSequence: t.concept, TextValue: t.value })),
  ];
}

export interface SrWriteResult {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  groups: number;
  measurements: number;
}

/** Writes the TID 1500 report of `groups` over the source series (see the file comment). */
export function encodeMeasurementReport(src: SourceSeries, groups: SrGroup[], o: SrWriteOptions): SrWriteResult {
  if (!groups.some((g) => g.measurements.length)) throw new AppError('BAD_REQUEST', 'no measurement to report');
  const dj = dcmjs();
  const { TID1500MeasurementReport, TID1501MeasurementGroup } = dj.utilities.TID1500;
  const measurements = groups
    .filter((g) => g.measurements.length)
    .map((g) => {
      const m = new dj.utilities.TID300.TID300Measurement({
        ReferencedSOPSequence: { ReferencedSOPClassUID: g.reference.sopClassUid, ReferencedSOPInstanceUID: g.reference.sopInstanceUid },
        trackingIdentifierTextValue: g.trackingId,
        ...(g.finding ? { finding: g.finding } : {}),
        findingSites: g.findingSite ? [g.findingSite] : [],
      });
      m.contentItem = () => {
        const nums = g.measurements.map(numItem);
        return groupItems(m.getMeasurement([]) as Naturalized[], nums, g);
      };
      return m;
    });
  const report = new TID1500MeasurementReport({ TID1501MeasurementGroups: [new TID1501MeasurementGroup(measurements)] });
  const source: Naturalized = { StudyInstanceUID: src.studyInstanceUid, SeriesInstanceUID: src.seriesInstanceUid };
  const content = report.contentItem(source);
  // the observer: the software (TID 1004), in place of dcmjs's unknown person
  const items = content['ContentSequence'] as Naturalized[];
  const person = items.findIndex((x) => str((x['ConceptNameCodeSequence'] as Naturalized | undefined)?.['CodeValue']) === '121008');
  items.splice(person < 0 ? 1 : person, person < 0 ? 0 : 1, ...deviceObserver(o));
  // the evidence: one study item, one series item with its instances (dcmjs writes a study item per instance)
  const sops = new Map(groups.map((g) => [g.reference.sopInstanceUid, g.reference.sopClassUid]));
  content['CurrentRequestedProcedureEvidenceSequence'] = [
    {
      StudyInstanceUID: src.studyInstanceUid,
      ReferencedSeriesSequence: [
        {
          SeriesInstanceUID: src.seriesInstanceUid,
          ReferencedSOPSequence: [...sops].map(([ReferencedSOPInstanceUID, ReferencedSOPClassUID]) => ({ ReferencedSOPClassUID, ReferencedSOPInstanceUID })),
        },
      ],
    },
  ];
  content['CodingSchemeIdentificationSequence'] = {
    CodingSchemeDesignator: o.privateScheme.designator,
    CodingSchemeName: o.privateScheme.name,
    CodingSchemeVersion: o.privateScheme.version,
    CodingSchemeResponsibleOrganization: o.privateScheme.organization,
  };
  const header = src.header;
  const ref: Naturalized = {
    _vrMap: {},
    _meta: {},
    ...copyFromSource(header, PATIENT_STUDY_ATTRIBUTES),
    StudyInstanceUID: src.studyInstanceUid,
  };
  const sr = new dj.derivations.StructuredReport([ref], {
    Manufacturer: o.manufacturer,
    ManufacturerModelName: o.modelName,
    SoftwareVersions: o.softwareVersions,
    SeriesDescription: o.seriesDescription,
    SeriesNumber: String(o.seriesNumber),
    ...(o.seriesInstanceUid ? { SeriesInstanceUID: o.seriesInstanceUid } : {}),
    ...(o.sopInstanceUid ? { SOPInstanceUID: o.sopInstanceUid } : {}),
  });
  const ds = Object.assign(sr.dataset, content);
  ds['SOPClassUID'] = COMPREHENSIVE_3D_SR_SOP_CLASS_UID;
  ds['Modality'] = 'SR';
  ds['SpecificCharacterSet'] = 'ISO_IR 192';
  delete ds['ImageComments'];
  delete ds['ContentQualification'];
  delete ds['DeviceSerialNumber'];
  return {
    bytes: writePart10(ds),
    sopInstanceUid: str(ds['SOPInstanceUID']),
    seriesInstanceUid: str(ds['SeriesInstanceUID']),
    groups: measurements.length,
    measurements: groups.reduce((a, g) => a + g.measurements.length, 0),
  };
}

/** One measurement of a read report, as a table row. */
export interface SrRow {
  trackingId: string;
  finding: string;
  findingSite: string;
  concept: Code;
  /** "name = value" of the concept modifiers. */
  modifiers: string[];
  value: number;
  unit: Code;
  /** The source image the group references. */
  referencedSopInstanceUid: string;
}

/** One measurement group of a read report, beyond its numbers: tracking, site, laterality, coded and text items, coordinates. */
export interface SrGroupRead {
  trackingId: string;
  trackingUid: string;
  finding: Code | null;
  findingSite: Code | null;
  laterality: Code | null;
  /** The group's NUM items in document order (their rows are in `rows` too). */
  numbers: { concept: Code; value: number; unit: Code; modifiers: string[] }[];
  codes: { concept: Code; value: Code }[];
  texts: { concept: Code; value: string }[];
  /** SCOORD3D items anywhere under the group (a NUM's INFERRED FROM), with the concept of the NUM they belong to. */
  scoords: (SrScoord3d & { of: Code | null })[];
}

export interface DecodedSr {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  title: Code;
  template: string;
  observer: { type: string; name: string; uid: string };
  /** Series referenced as evidence. */
  evidenceSeries: string[];
  rows: SrRow[];
  groups: SrGroupRead[];
}

const asList = (v: unknown): Naturalized[] => (Array.isArray(v) ? (v as Naturalized[]) : v && typeof v === 'object' ? [v as Naturalized] : []);
const codeOf = (v: unknown): Code => {
  const c = asList(v)[0] ?? {};
  return { CodeValue: str(c['CodeValue']), CodingSchemeDesignator: str(c['CodingSchemeDesignator']), CodeMeaning: str(c['CodeMeaning']) };
};
const nameOf = (item: Naturalized): Code => codeOf(item['ConceptNameCodeSequence']);

/** Reads a TID 1500 report: its observer, evidence, every numeric measurement as a row, and each group's tracking, laterality, coded and text items and SCOORD3D. */
export function decodeMeasurementReport(buf: Buffer): DecodedSr {
  const { dataset: ds } = readPart10(buf);
  const top = asList(ds['ContentSequence']);
  const obs = (cv: string): Naturalized | undefined => top.find((x) => nameOf(x).CodeValue === cv);
  const measurementsContainer = top.find((x) => nameOf(x).CodeValue === '126010');
  const rows: SrRow[] = [];
  const groups: SrGroupRead[] = [];
  const codeOrNull = (v: unknown): Code | null => (asList(v).length ? codeOf(v) : null);
  for (const g of asList(measurementsContainer?.['ContentSequence'])) {
    const items = asList(g['ContentSequence']);
    const trackingId = str(items.find((x) => nameOf(x).CodeValue === '112039')?.['TextValue']);
    const findingItem = items.find((x) => nameOf(x).CodeValue === '121071');
    const siteItem = items.find((x) => nameOf(x).CodeValue === '363698007');
    const finding = codeOf(findingItem?.['ConceptCodeSequence']).CodeMeaning;
    const findingSite = codeOf(siteItem?.['ConceptCodeSequence']).CodeMeaning;
    const read: SrGroupRead = {
      trackingId,
      trackingUid: str(items.find((x) => nameOf(x).CodeValue === '112040')?.['UID']),
      finding: codeOrNull(findingItem?.['ConceptCodeSequence']),
      findingSite: codeOrNull(siteItem?.['ConceptCodeSequence']),
      laterality: codeOrNull(asList(siteItem?.['ContentSequence']).find((x) => nameOf(x).CodeValue === '272741003')?.['ConceptCodeSequence']),
      numbers: [],
      codes: items
        .filter((x) => str(x['ValueType']) === 'CODE' && x !== findingItem && x !== siteItem)
        .map((x) => ({ concept: nameOf(x), value: codeOf(x['ConceptCodeSequence']) })),
      texts: items
        .filter((x) => str(x['ValueType']) === 'TEXT' && nameOf(x).CodeValue !== '112039')
        .map((x) => ({ concept: nameOf(x), value: str(x['TextValue']) })),
      scoords: [],
    };
    for (const n of items.filter((x) => str(x['ValueType']) === 'NUM')) {
      const mv = asList(n['MeasuredValueSequence'])[0] ?? {};
      const children = asList(n['ContentSequence']);
      const modifiers = children
        .filter((x) => str(x['RelationshipType']) === 'HAS CONCEPT MOD')
        .map((x) => `${nameOf(x).CodeMeaning} = ${codeOf(x['ConceptCodeSequence']).CodeMeaning}`);
      const value = Number(str(mv['NumericValue']));
      const unit = codeOf(mv['MeasurementUnitsCodeSequence']);
      rows.push({ trackingId, finding, findingSite, concept: nameOf(n), modifiers, value, unit, referencedSopInstanceUid: '' });
      read.numbers.push({ concept: nameOf(n), value, unit, modifiers });
      for (const c of children.filter((x) => str(x['ValueType']) === 'SCOORD3D')) {
        const data = (Array.isArray(c['GraphicData']) ? c['GraphicData'] : [c['GraphicData']]).map(Number);
        const points: [number, number, number][] = [];
        for (let k = 0; k + 2 < data.length; k += 3) points.push([data[k]!, data[k + 1]!, data[k + 2]!]);
        read.scoords.push({
          graphicType: str(c['GraphicType']) as SrScoord3d['graphicType'],
          points,
          frameOfReferenceUid: str(c['ReferencedFrameOfReferenceUID']),
          of: nameOf(n),
        });
      }
    }
    groups.push(read);
  }
  return {
    sopClassUid: str(ds['SOPClassUID']),
    sopInstanceUid: str(ds['SOPInstanceUID']),
    studyInstanceUid: str(ds['StudyInstanceUID']),
    title: nameOf(ds),
    template: str(asList(ds['ContentTemplateSequence'])[0]?.['TemplateIdentifier']),
    observer: {
      type: codeOf(obs('121005')?.['ConceptCodeSequence']).CodeMeaning || (obs('121008') ? 'Person' : ''),
      name: str(obs('121013')?.['TextValue']) || str(obs('121008')?.['PersonName']),
      uid: str(obs('121012')?.['UID']),
    },
    evidenceSeries: asList(ds['CurrentRequestedProcedureEvidenceSequence']).flatMap((s) =>
      asList(s['ReferencedSeriesSequence']).map((r) => str(r['SeriesInstanceUID'])),
    ),
    rows,
    groups,
  };
}

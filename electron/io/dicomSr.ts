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
 * evidence sequence, so the report references the source series.
 */
import { AppError } from '../contract/errors.js';
import { type Code, copyFromSource, dcmjs, PATIENT_STUDY_ATTRIBUTES, readPart10, type SourceSeries, writePart10 } from './dicomSeg.js';

type Naturalized = Record<string, unknown>;
export const COMPREHENSIVE_3D_SR_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.88.34';

/** One numeric measurement (TID 300): its concept, value rounded to `decimals`, UCUM unit and concept modifiers. */
export interface SrNumeric {
  concept: Code;
  value: number;
  unit: Code;
  decimals: number;
  modifiers?: { name: Code; value: Code }[];
}

/** One TID 1501 measurement group: what it is about (tracking identifier, finding, finding site) and its measurements. */
export interface SrGroup {
  trackingId: string;
  finding?: Code;
  findingSite?: Code;
  /** The source instance the group's measurements are made on (the slice at the structure). */
  reference: { sopClassUid: string; sopInstanceUid: string };
  measurements: SrNumeric[];
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

/** A NUM content item (CONTAINS) with its unit and modifiers. */
function numItem(m: SrNumeric): Naturalized {
  return {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: m.concept,
    MeasuredValueSequence: { MeasurementUnitsCodeSequence: m.unit, NumericValue: m.value.toFixed(m.decimals) },
    ...(m.modifiers?.length
      ? {
          ContentSequence: m.modifiers.map((x) => ({
            RelationshipType: 'HAS CONCEPT MOD',
            ValueType: 'CODE',
            ConceptNameCodeSequence: x.name,
            ConceptCodeSequence: x.value,
          })),
        }
      : {}),
  };
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
      m.contentItem = () => m.getMeasurement(g.measurements.map(numItem));
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
}

const asList = (v: unknown): Naturalized[] => (Array.isArray(v) ? (v as Naturalized[]) : v && typeof v === 'object' ? [v as Naturalized] : []);
const codeOf = (v: unknown): Code => {
  const c = asList(v)[0] ?? {};
  return { CodeValue: str(c['CodeValue']), CodingSchemeDesignator: str(c['CodingSchemeDesignator']), CodeMeaning: str(c['CodeMeaning']) };
};
const nameOf = (item: Naturalized): Code => codeOf(item['ConceptNameCodeSequence']);

/** Reads a TID 1500 report: its observer, evidence and every numeric measurement as a row. */
export function decodeMeasurementReport(buf: Buffer): DecodedSr {
  const { dataset: ds } = readPart10(buf);
  const top = asList(ds['ContentSequence']);
  const obs = (cv: string): Naturalized | undefined => top.find((x) => nameOf(x).CodeValue === cv);
  const measurementsContainer = top.find((x) => nameOf(x).CodeValue === '126010');
  const rows: SrRow[] = [];
  for (const g of asList(measurementsContainer?.['ContentSequence'])) {
    const items = asList(g['ContentSequence']);
    const trackingId = str(items.find((x) => nameOf(x).CodeValue === '112039')?.['TextValue']);
    const finding = codeOf(items.find((x) => nameOf(x).CodeValue === '121071')?.['ConceptCodeSequence']).CodeMeaning;
    const findingSite = codeOf(items.find((x) => nameOf(x).CodeValue === '363698007')?.['ConceptCodeSequence']).CodeMeaning;
    for (const n of items.filter((x) => str(x['ValueType']) === 'NUM')) {
      const mv = asList(n['MeasuredValueSequence'])[0] ?? {};
      rows.push({
        trackingId,
        finding,
        findingSite,
        concept: nameOf(n),
        modifiers: asList(n['ContentSequence'])
          .filter((x) => str(x['RelationshipType']) === 'HAS CONCEPT MOD')
          .map((x) => `${nameOf(x).CodeMeaning} = ${codeOf(x['ConceptCodeSequence']).CodeMeaning}`),
        value: Number(str(mv['NumericValue'])),
        unit: codeOf(mv['MeasurementUnitsCodeSequence']),
        referencedSopInstanceUid: '',
      });
    }
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
  };
}

/**
 * 3MF packages (3D Manufacturing Format, 3MF Consortium, 3MF Core
 * Specification 1.3.0): an OPC zip holding `[Content_Types].xml`,
 * `_rels/.rels` (the start part relationship) and `3D/3dmodel.model`, whose
 * `<model unit="millimeter">` lists `<resources>` — one `<basematerials>`
 * group (core §5.1: a name and an sRGB `displaycolor` #RRGGBBAA per material)
 * and one `<object type="model">` per part, each with an indexed `<mesh>` and
 * its material as `pid`/`pindex` — and a `<build>` with one `<item>` per
 * object. Only the core namespace is used (no extension).
 *
 * Frame: vertices are written as they are, LPS millimetres of the twin
 * (x towards the patient's left, y posterior, z superior; a right-handed
 * frame, so the printed part is not mirrored); no build transform is written,
 * slicers place the parts on their bed. The parts keep their relative
 * positions (bone inside skin).
 *
 * Further parts (screws, implants) are further objects: `encode3mf` takes any
 * number of named objects, each pointing at a material by key.
 */
import { XMLParser } from 'fast-xml-parser';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { TriangleMesh } from '../engine/surface.js';

/** The 3MF core namespace (3MF Core Specification 1.x). */
export const CORE_NS = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02';
const START_PART_REL = 'http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel';
const MODEL_PATH = '3D/3dmodel.model';

/** A base material: its name and sRGB display colour `#RRGGBB` or `#RRGGBBAA`. */
export interface ThreeMfMaterial {
  name: string;
  displayColor: string;
}

/** One printable part. */
export interface ThreeMfObject {
  /** Shown by slicers as the part's name (e.g. "Bone", "Disc L4-L5"). */
  name: string;
  /** Vertices LPS mm, triangles counter-clockwise seen from outside (3MF's winding); closed and manifold for printing. */
  mesh: TriangleMesh;
  /** Key into `ThreeMfModel.materials`. */
  material: string;
  /** Optional part number (`partnumber`), e.g. a screw's catalogue reference. */
  partNumber?: string;
}

export interface ThreeMfModel {
  objects: ThreeMfObject[];
  materials: Record<string, ThreeMfMaterial>;
  /** Core metadata (§2.1.1): Title, Designer, Description, Copyright, LicenseTerms, Rating, CreationDate, ModificationDate, Application. */
  metadata?: Record<string, string>;
  /** xml:lang of the model (default en-US). */
  lang?: string;
}

/** A 3MF model as read back by `decode3mf`. */
export interface ThreeMfRead {
  unit: string;
  lang: string | null;
  metadata: Record<string, string>;
  materials: { id: number; items: ThreeMfMaterial[] }[];
  objects: { id: number; name: string; type: string; material: ThreeMfMaterial | null; partNumber: string | null; mesh: TriangleMesh }[];
  /** Object ids of the build items. */
  build: number[];
}

/** Text as an XML attribute value or element text; control characters XML 1.0 cannot hold are dropped. */
const xmlEscape = (s: string): string =>
  Array.from(s, (c) => (c.charCodeAt(0) < 0x20 && c !== '\t' && c !== '\n' && c !== '\r' ? '' : c))
    .join('')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The shortest decimal that reads back as the same Float32 (3MF's ST_Number). */
function f32String(x: number): string {
  for (let p = 6; p < 9; p++) {
    const s = Number(x.toPrecision(p)).toString();
    if (Math.fround(Number(s)) === x) return s;
  }
  return Number(x.toPrecision(9)).toString();
}

/** `#RRGGBB` → `#RRGGBBFF`; `#RRGGBBAA` as it is (upper case). @throws Error for any other form */
function displayColor(c: string, name: string): string {
  if (/^#[0-9a-fA-F]{8}$/.test(c)) return c.toUpperCase();
  if (/^#[0-9a-fA-F]{6}$/.test(c)) return `${c.toUpperCase()}FF`;
  throw new Error(`3MF: material ${name} has the colour "${c}"; expected #RRGGBB or #RRGGBBAA (sRGB)`);
}

function meshXml(o: ThreeMfObject, out: string[]): void {
  const p = o.mesh.points;
  const t = o.mesh.triangles;
  const nV = p.length / 3;
  if (nV < 3 || t.length < 3) throw new Error(`3MF: object ${o.name} has ${nV} vertices and ${t.length / 3} triangles; a mesh needs at least 3 and 1`);
  out.push('<mesh><vertices>');
  for (let v = 0; v < nV; v++) {
    const x = p[3 * v] as number,
      y = p[3 * v + 1] as number,
      z = p[3 * v + 2] as number;
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)))
      throw new Error(`3MF: object ${o.name}: vertex ${v} is not a number (${x}, ${y}, ${z})`);
    out.push(`<vertex x="${f32String(x)}" y="${f32String(y)}" z="${f32String(z)}"/>`);
  }
  out.push('</vertices><triangles>');
  for (let f = 0; f < t.length; f += 3) {
    const a = t[f] as number,
      b = t[f + 1] as number,
      c = t[f + 2] as number;
    if (a >= nV || b >= nV || c >= nV || a === b || b === c || a === c)
      throw new Error(`3MF: object ${o.name}: triangle ${f / 3} (${a}, ${b}, ${c}) has a vertex out of range or repeated (${nV} vertices)`);
    out.push(`<triangle v1="${a}" v2="${b}" v3="${c}"/>`);
  }
  out.push('</triangles></mesh>');
}

/**
 * Writes a 3MF package (3MF Core Specification 1.3.0, see the file comment):
 * unit millimetre, one base material group (id 1) with the materials the
 * objects use (in first-use order), objects with ids 2, 3, … in the given
 * order with `name`, `pid`/`pindex` and their mesh, one build item each.
 * @returns the zip (deflated) as bytes
 * @throws Error naming the object or material: an unknown material key, a bad colour, an empty mesh, a vertex that is
 *   not a number, a triangle index out of range or repeated (3MF forbids degenerate triangles by index)
 */
export function encode3mf(model: ThreeMfModel): Buffer {
  if (!model.objects.length) throw new Error('3MF: no object to write');
  const used: string[] = [];
  for (const o of model.objects) {
    if (!model.materials[o.material]) throw new Error(`3MF: object ${o.name} uses the material "${o.material}", which is not defined`);
    if (!used.includes(o.material)) used.push(o.material);
  }
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<model unit="millimeter" xml:lang="${xmlEscape(model.lang ?? 'en-US')}" xmlns="${CORE_NS}">`,
  ];
  for (const [k, v] of Object.entries(model.metadata ?? {})) out.push(`<metadata name="${xmlEscape(k)}">${xmlEscape(v)}</metadata>`);
  out.push('<resources>', '<basematerials id="1">');
  for (const k of used) {
    const m = model.materials[k]!;
    out.push(`<base name="${xmlEscape(m.name)}" displaycolor="${displayColor(m.displayColor, m.name)}"/>`);
  }
  out.push('</basematerials>');
  model.objects.forEach((o, i) => {
    const pn = o.partNumber ? ` partnumber="${xmlEscape(o.partNumber)}"` : '';
    out.push(`<object id="${i + 2}" type="model" name="${xmlEscape(o.name)}"${pn} pid="1" pindex="${used.indexOf(o.material)}">`);
    meshXml(o, out);
    out.push('</object>');
  });
  out.push('</resources>', '<build>');
  model.objects.forEach((_, i) => out.push(`<item objectid="${i + 2}"/>`));
  out.push('</build>', '</model>', '');
  const contentTypes = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
    '<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>',
    '</Types>',
    '',
  ].join('\n');
  const rels = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">',
    `<Relationship Target="/${MODEL_PATH}" Id="rel0" Type="${START_PART_REL}"/>`,
    '</Relationships>',
    '',
  ].join('\n');
  const zip = zipSync(
    {
      '[Content_Types].xml': strToU8(contentTypes),
      '_rels/.rels': strToU8(rels),
      [MODEL_PATH]: strToU8(out.join('\n')),
    },
    { level: 6 },
  );
  return Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
}

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * Reads a 3MF package written by `encode3mf` or another producer (core
 * namespace, the start part found through `_rels/.rels`; mesh objects, base
 * materials, build items; components and extensions are not read).
 * @param source the file's name, for the errors
 * @throws Error naming `source`: not a zip, no start part relationship, the model part missing, not a 3MF core model,
 *   an object whose triangle refers to a vertex it does not have
 */
export function decode3mf(buf: Uint8Array, source = '3MF file'): ThreeMfRead {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(buf);
  } catch (e) {
    throw new Error(`${source}: not a 3MF package (not a readable zip: ${(e as Error).message})`, { cause: e });
  }
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, textNodeName: '#text' });
  const relsBytes = files['_rels/.rels'];
  if (!relsBytes) throw new Error(`${source}: not a 3MF package (no _rels/.rels)`);
  const rels = asArray((parser.parse(strFromU8(relsBytes)) as { Relationships?: { Relationship?: unknown } }).Relationships?.Relationship) as Record<
    string,
    string
  >[];
  const start = rels.find((r) => r['Type'] === START_PART_REL);
  if (!start) throw new Error(`${source}: not a 3MF package (no 3D model relationship in _rels/.rels)`);
  const partName = (start['Target'] ?? '').replace(/^\//, '');
  const modelBytes = files[partName];
  if (!modelBytes) throw new Error(`${source}: the model part ${partName} named in _rels/.rels is not in the package`);
  const doc = parser.parse(strFromU8(modelBytes)) as { model?: Record<string, unknown> };
  const model = doc.model;
  if (!model || model['xmlns'] !== CORE_NS) throw new Error(`${source}: ${partName} is not a 3MF core model (no <model xmlns="${CORE_NS}">)`);
  const metadata: Record<string, string> = {};
  for (const m of asArray(model['metadata'] as Record<string, string> | Record<string, string>[])) metadata[m['name'] ?? ''] = m['#text'] ?? '';
  const res = (model['resources'] ?? {}) as Record<string, unknown>;
  const materials = asArray(res['basematerials'] as Record<string, unknown> | Record<string, unknown>[]).map((g) => ({
    id: Number(g['id']),
    items: asArray(g['base'] as Record<string, string> | Record<string, string>[]).map((b) => ({
      name: b['name'] ?? '',
      displayColor: b['displaycolor'] ?? '',
    })),
  }));
  const objects = asArray(res['object'] as Record<string, unknown> | Record<string, unknown>[]).map((o) => {
    const id = Number(o['id']);
    const mesh = (o['mesh'] ?? {}) as Record<string, Record<string, unknown>>;
    const vs = asArray(mesh['vertices']?.['vertex'] as Record<string, string>[] | Record<string, string>);
    const ts = asArray(mesh['triangles']?.['triangle'] as Record<string, string>[] | Record<string, string>);
    const points = new Float32Array(3 * vs.length);
    vs.forEach((v, i) => {
      points[3 * i] = Number(v['x']);
      points[3 * i + 1] = Number(v['y']);
      points[3 * i + 2] = Number(v['z']);
    });
    const triangles = new Uint32Array(3 * ts.length);
    ts.forEach((t, i) => {
      for (const [k, a] of ['v1', 'v2', 'v3'].entries()) {
        const v = Number(t[a]);
        if (!(Number.isInteger(v) && v >= 0 && v < vs.length))
          throw new Error(`${source}: object ${id}: triangle ${i} refers to vertex ${t[a]} of ${vs.length}`);
        triangles[3 * i + k] = v;
      }
    });
    const group = materials.find((g) => g.id === Number(o['pid']));
    return {
      id,
      name: String(o['name'] ?? ''),
      type: String(o['type'] ?? 'model'),
      material: group?.items[Number(o['pindex'] ?? 0)] ?? null,
      partNumber: o['partnumber'] === undefined ? null : String(o['partnumber']),
      mesh: { points, triangles },
    };
  });
  const build = asArray(((model['build'] ?? {}) as Record<string, unknown>)['item'] as Record<string, string> | Record<string, string>[]).map((i) =>
    Number(i['objectid']),
  );
  return { unit: String(model['unit'] ?? 'millimeter'), lang: (model['xml:lang'] as string | undefined) ?? null, metadata, materials, objects, build };
}

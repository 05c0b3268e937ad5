/**
 * Encryption at rest of the twin store (issue 6, must-show 3): with a key
 * store the database file starts with no SQLite header and holds no patient
 * name or MRN in clear (its bytes, the WAL's and the shared memory's are
 * scanned); opening it without its key, or with a wrong one, fails with a
 * clear error and leaves the file byte for byte as it was; key rotation keeps
 * every record (and the audit chain) and the old key no longer opens it; a
 * plaintext store is encrypted on its first keyed open.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices, readVolumeVoxels } from '../../electron/services/index.js';
import { fileKeyStore } from '../../electron/services/storeKey.js';
import { isEncryptedStore } from '../../electron/db/store.js';
import { openTwinStore } from '../../electron/services/index.js';
import { filesBelow, tmpDir } from '../helpers/tmp.js';
import { dataPath, describeData } from '../helpers/data.js';
import { isSealed } from '../../electron/db/sealed.js';
import { getVolume } from '../../capabilities/studies/repo.js';
import { listTwins } from '../../capabilities/twins/repo.js';

const tmp = tmpDir('enc-');
afterAll(() => tmp.cleanup());
const NAME = 'Josephine Quillfeather';
const MRN = 'MRN-31415926';
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
/** Every byte the store keeps on disk for its database (file, WAL, shared memory). */
const storeBytes = (dir: string) =>
  Buffer.concat(
    ['orthotwin.sqlite', 'orthotwin.sqlite-wal', 'orthotwin.sqlite-shm']
      .map((f) => path.join(dir, f))
      .filter(fs.existsSync)
      .map((f) => fs.readFileSync(f)),
  );

describe('encrypted twin store', () => {
  const dir = path.join(tmp.dir, 'data');
  const keyFile = path.join(tmp.dir, 'store.key');

  it('holds no SQLite header and no patient identifier in clear, also while open (WAL)', async () => {
    const host = createServices({ dataDir: dir, transport: 'cli', keyStore: fileKeyStore(keyFile) });
    for (let i = 0; i < 50; i++) await host.impl.patients.create({ displayName: `${NAME} ${i}`, mrn: `${MRN}-${i}`, birthDate: '1950-05-05', sex: 'F' });
    expect((await host.impl.system.info()).storeEncrypted).toBe(true);
    const open = storeBytes(dir);
    expect(open.includes(Buffer.from(NAME))).toBe(false);
    expect(open.includes(Buffer.from(MRN))).toBe(false);
    host.close();
    const file = path.join(dir, 'orthotwin.sqlite');
    expect(fs.readFileSync(file).subarray(0, 16).equals(Buffer.from('SQLite format 3\0', 'latin1'))).toBe(false);
    expect(isEncryptedStore(file)).toBe(true);
    const closed = storeBytes(dir);
    expect(closed.includes(Buffer.from(NAME))).toBe(false);
    expect(closed.includes(Buffer.from('Josephine'))).toBe(false);
    // the key file is owner-only
    if (process.platform !== 'win32') expect(fs.statSync(keyFile).mode & 0o077).toBe(0);
  });

  it('a wrong key or no key: a clear error naming the file, and the file left untouched', () => {
    const file = path.join(dir, 'orthotwin.sqlite');
    const before = sha(file);
    expect(() => openTwinStore(dir, { key: crypto.randomBytes(32) })).toThrow(/orthotwin\.sqlite: cannot open the twin store with this key/);
    expect(() => openTwinStore(dir)).toThrow(/orthotwin\.sqlite: the twin store is encrypted and no key was given/);
    expect(() => createServices({ dataDir: dir, transport: 'cli', keyStore: null })).toThrow(/encrypted and no key/);
    expect(sha(file)).toBe(before);
  });

  it('key rotation keeps every record and the audit chain; the old key no longer opens the store', async () => {
    const oldKey = Buffer.from(fs.readFileSync(keyFile, 'utf8'), 'hex');
    const host = createServices({ dataDir: dir, transport: 'cli', keyStore: fileKeyStore(keyFile) });
    const before = (await host.impl.patients.list('')).map((p) => p.displayName).sort();
    expect(before).toHaveLength(50);
    const r = await host.impl.system.rotateStoreKey();
    expect(r.keyStore).toContain('store.key');
    // still usable in this session
    await host.impl.patients.create({ displayName: 'After Rotation', mrn: 'R-1', birthDate: '', sex: '' });
    host.close();
    const newKey = Buffer.from(fs.readFileSync(keyFile, 'utf8'), 'hex');
    expect(newKey.equals(oldKey)).toBe(false);
    expect(fs.existsSync(`${keyFile}.previous`)).toBe(true);
    expect(() => openTwinStore(dir, { key: oldKey })).toThrow(/cannot open the twin store with this key/);
    const again = createServices({ dataDir: dir, transport: 'cli', keyStore: fileKeyStore(keyFile) });
    const after = (await again.impl.patients.list('')).map((p) => p.displayName).sort();
    expect(after).toEqual([...before, 'After Rotation'].sort());
    const audit = await again.impl.audit.verify();
    expect(audit.ok).toBe(true);
    expect((await again.impl.audit.export('json')).some((e) => e['action'] === 'rekey')).toBe(true);
    again.close();
    expect(storeBytes(dir).includes(Buffer.from('After Rotation'))).toBe(false);
  });

  it('a plaintext store is encrypted on its first open with a key, its data kept', async () => {
    const plain = path.join(tmp.dir, 'plain');
    const a = createServices({ dataDir: plain, transport: 'cli', keyStore: null });
    await a.impl.patients.create({ displayName: NAME, mrn: MRN, birthDate: '', sex: '' });
    a.close();
    expect(storeBytes(plain).includes(Buffer.from(NAME))).toBe(true);
    const b = createServices({ dataDir: plain, transport: 'cli', keyStore: fileKeyStore(path.join(tmp.dir, 'plain.key')) });
    expect((await b.impl.patients.list('')).map((p) => p.displayName)).toEqual([NAME]);
    b.close();
    expect(isEncryptedStore(path.join(plain, 'orthotwin.sqlite'))).toBe(true);
    expect(storeBytes(plain).includes(Buffer.from(NAME))).toBe(false);
  });

  it('a key file that is not a 256-bit hex key is refused with its name', () => {
    const bad = path.join(tmp.dir, 'bad.key');
    fs.writeFileSync(bad, 'password123');
    expect(() => fileKeyStore(bad).load()).toThrow(/bad\.key: the twin store key must be 64 hexadecimal digits/);
  });
});

describeData('encrypted store files (volumes, meshes) on the example CT', () => {
  it('seals every file under store/, reads them back for the views and the jobs, and refuses an altered one', async () => {
    const dir = path.join(tmp.dir, 'files');
    const host = createServices({ dataDir: dir, transport: 'cli', keyStore: fileKeyStore(path.join(tmp.dir, 'files.key')) });
    try {
      const patientId = (await host.impl.patients.create({ displayName: NAME, mrn: MRN, birthDate: '', sex: '' })).id;
      const job = await host.jobs.wait(
        await host.impl.studies.import({ patientId, path: dataPath('ct/totalseg_example_ct.nii.gz'), strict: true, buildTwin: true }),
      );
      expect(job.job.error).toBeNull();
      const files = filesBelow(host.store.storeDir);
      expect(files.length).toBeGreaterThan(3); // the volume and the twin's masks and meshes
      for (const f of files) {
        const b = fs.readFileSync(path.join(host.store.storeDir, f));
        expect(isSealed(b), f).toBe(true);
        for (const marker of ['NRRD000', '<VTKFile', 'solid ', 'space directions']) expect(b.includes(Buffer.from(marker)), `${f} shows ${marker}`).toBe(false);
      }
      // the views read them (volume voxels, a mesh)
      const twin = listTwins(host.store, patientId)[0]!;
      const vol = getVolume(host.store, twin.volumeId);
      const voxels = await readVolumeVoxels(host.store, vol.id);
      const bytesPer = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 }[vol.voxelType];
      expect(voxels.voxelType).toBe(vol.voxelType);
      expect(voxels.bytes.byteLength).toBe(vol.dims[0] * vol.dims[1] * vol.dims[2] * bytesPer);
      const skin = twin.artefacts.find((a) => a.kind === 'skin-mesh' && a.format === 'vtp')!;
      expect(Buffer.from(await host.store.readFile(skin.relPath)).toString('latin1', 0, 200)).toContain('<VTKFile');
      // a job's worker reads the sealed volume (a rebuild)
      const rebuild = await host.jobs.wait(await host.impl.twins.build(vol.id, { skinMaxTriangles: 20000 }));
      expect(rebuild.job.status).toBe('done');
      // an altered file does not open (GCM authentication), and says which
      const abs = path.join(dir, skin.relPath);
      const b = fs.readFileSync(abs);
      b[b.length - 40] = b[b.length - 40]! ^ 0xff;
      fs.writeFileSync(abs, b);
      await expect(host.store.readFile(skin.relPath)).rejects.toThrow(/skin-mesh\.vtp: the encrypted file does not open with the store's key/);
    } finally {
      host.close();
    }
  }, 180_000);
});

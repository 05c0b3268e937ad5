import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16Ndi, crc16NdiText } from '../../core/crc16.js';
import { NdiCommandFramer, NdiReplyFramer, type NdiReplyEvent } from './framing.js';
import { IllegalTransition, ndiTransition } from './machine.js';
import {
  checkReply,
  decodeBx,
  decodePhinf,
  decodePhsr,
  decodeTx,
  encodeAsciiReply,
  encodeBx,
  encodeCommand,
  encodePhinf,
  encodePhsr,
  encodeTx,
  NdiDeviceError,
  parseCommand,
  pvwrParams,
  toolState,
  type NdiTrackingReply,
} from './protocol.js';

const hexBytes = (s: string): Uint8Array =>
  new Uint8Array(
    s
      .trim()
      .split(/\s+/)
      .map((h) => parseInt(h, 16)),
  );
const text = (b: Uint8Array): string => new TextDecoder('latin1').decode(b);

// Golden vectors from device-protocols.md §1.3 / §1.6 (confirmed there against ndicapi)
const BX_GOLDEN = hexBytes(`c4 a5 37 00 3b 23 02 0a 01 f3 04 35 3f 00 00 00 00 00 00 00 00 f3 04 35 3f
a4 70 45 41 b8 1e 63 c2 00 00 16 c3 f0 85 49 3c 31 00 00 00 02 01 00 00
0b 02 31 00 00 00 02 01 00 00 00 00 b1 ef`);

describe('NDI CRC-16 and command encoding', () => {
  it('matches the ndicapi vectors', () => {
    const vectors: [string, number][] = [
      ['INIT:', 0xe3a5],
      ['OKAY', 0xa896],
      ['RESET', 0xbe6f],
      ['VER:0', 0x65ee],
      ['GETINFO:Features.Firmware.Version', 0x0492],
      ['TX:0001', 0x031a],
      ['BX:0801', 0x00ec],
      ['TSTART:', 0x5423],
      ['TSTOP:', 0x2c14],
      ['PHSR:01', 0xe03e],
      ['COMM:50000', 0x0048],
      ['ERROR01', 0x6bc2],
      ['123456789', 0xbb3d],
    ];
    for (const [s, crc] of vectors) expect(crc16NdiText(s), s).toBe(crc);
    expect(crc16Ndi(new TextEncoder().encode('123456789'))).toBe(0xbb3d);
  });

  it('encodes colon commands with CRC and space commands without', () => {
    expect(text(encodeCommand('INIT'))).toBe('INIT:E3A5\r');
    expect(text(encodeCommand('BX', '0801'))).toBe('BX:080100EC\r');
    expect(text(encodeCommand('COMM', '50000'))).toBe('COMM:500000048\r');
    expect(text(encodeCommand('APIREV', '', false))).toBe('APIREV \r');
    expect(text(encodeAsciiReply('OKAY'))).toBe('OKAYA896\r');
    expect(parseCommand('BX:080100EC')).toEqual({ name: 'BX', params: '0801', crcOk: true });
    expect(parseCommand('BX:080100ED').crcOk).toBe(false);
    expect(parseCommand('APIREV ')).toEqual({ name: 'APIREV', params: '', crcOk: true });
  });

  it('maps ERRORxx to the documented meaning', () => {
    expect(() => checkReply('ERROR0C', 'BX')).toThrow(/ERROR0C command is invalid while in the current operating mode/);
    try {
      checkReply('ERROR04', 'PINIT');
    } catch (e) {
      expect(e).toBeInstanceOf(NdiDeviceError);
      expect((e as NdiDeviceError).code).toBe(4);
    }
    expect(checkReply('OKAY', 'INIT')).toBe('OKAY');
  });
});

describe('NDI BX / TX replies', () => {
  it('frames and decodes the golden BX reply exactly', () => {
    const f = new NdiReplyFramer();
    const evs = f.push(BX_GOLDEN);
    expect(evs).toHaveLength(1);
    const ev = evs[0]!;
    if (ev.kind !== 'binary') throw new Error(ev.kind);
    const r = decodeBx(ev.body);
    expect(r.systemStatus).toBe(0);
    expect(r.handles).toHaveLength(2);
    const [a, b] = r.handles;
    expect(a!.handle).toBe(0x0a);
    expect(a!.status).toBe('valid');
    expect(a!.q![0]).toBeCloseTo(0.7071, 4);
    expect(a!.q![3]).toBeCloseTo(0.7071, 4);
    expect(a!.t![0]).toBeCloseTo(12.34, 4);
    expect(a!.t![1]).toBeCloseTo(-56.78, 4);
    expect(a!.t![2]).toBeCloseTo(-150, 4);
    expect(a!.rms).toBeCloseTo(0.0123, 6);
    expect(a!.portStatus).toBe(0x31);
    expect(a!.frame).toBe(0x102);
    expect(b).toEqual({ handle: 0x0b, status: 'missing', portStatus: 0x31, frame: 0x102 });
    expect(toolState(a!)).toBe('ok');
    expect(toolState(b!)).toBe('missing');
    // the encoder reproduces the golden bytes
    expect(Buffer.from(encodeBx(r)).equals(Buffer.from(BX_GOLDEN))).toBe(true);
  });

  it('decodes the golden TX reply and re-encodes it', () => {
    const tx = '020A+07071+00000+00000+07071+001234-005678-015000+001230000003100000101\n0BMISSING0000003100000101\n0000';
    const wire = `${tx}2892\r`;
    const evs = new NdiReplyFramer().push(new TextEncoder().encode(wire));
    expect(evs).toEqual([{ kind: 'ascii', text: tx }]);
    const r = decodeTx(tx);
    expect(r.handles[0]).toMatchObject({
      handle: 0x0a,
      status: 'valid',
      q: [0.7071, 0, 0, 0.7071],
      t: [12.34, -56.78, -150],
      rms: 0.0123,
      portStatus: 0x31,
      frame: 257,
    });
    expect(r.handles[1]).toEqual({ handle: 0x0b, status: 'missing', portStatus: 0x31, frame: 257 });
    expect(encodeTx(r)).toBe(tx);
  });

  it('round-trips PHSR, PHINF and splits a tool definition into 16 PVWR chunks', () => {
    const e = [
      { handle: 0x0a, status: 0x031 },
      { handle: 0x0b, status: 0x011 },
    ];
    expect(encodePhsr(e)).toBe('020A0310B011');
    expect(decodePhsr('020A0310B011')).toEqual(e);
    const inf = { toolType: '0A000000', manufacturer: 'NDI', revision: '001', serial: '3A001B71', portStatus: 0x31, port: 3, channel: 0 };
    expect(decodePhinf(encodePhinf(inf))).toEqual(inf);
    const chunks = pvwrParams(0x0c, new Uint8Array([0x4e, 0x44, 0x49]));
    expect(chunks).toHaveLength(16);
    expect(chunks[0]!.slice(0, 12)).toBe('0C00004E4449');
    expect(chunks[15]!.slice(0, 6)).toBe('0C03C0');
    expect(chunks.every((c) => c.length === 134)).toBe(true);
  });
});

const replyArb: fc.Arbitrary<NdiTrackingReply> = fc.record({
  handles: fc.array(
    fc.oneof(
      fc.record({
        handle: fc.integer({ min: 1, max: 255 }),
        status: fc.constant('valid' as const),
        q: fc.tuple(
          fc.float({ noNaN: true, min: -1, max: 1 }),
          fc.float({ noNaN: true, min: -1, max: 1 }),
          fc.float({ noNaN: true, min: -1, max: 1 }),
          fc.float({ noNaN: true, min: -1, max: 1 }),
        ),
        t: fc.tuple(
          fc.float({ noNaN: true, min: -3000, max: 3000 }),
          fc.float({ noNaN: true, min: -3000, max: 3000 }),
          fc.float({ noNaN: true, min: -3000, max: 3000 }),
        ),
        rms: fc.float({ noNaN: true, min: 0, max: 5 }),
        portStatus: fc.integer({ min: 0, max: 0xffff }),
        frame: fc.nat(),
      }),
      fc.record({
        handle: fc.integer({ min: 1, max: 255 }),
        status: fc.constant('missing' as const),
        portStatus: fc.integer({ min: 0, max: 0xffff }),
        frame: fc.nat(),
      }),
      fc.record({ handle: fc.integer({ min: 1, max: 255 }), status: fc.constant('disabled' as const) }),
    ),
    { maxLength: 8 },
  ),
  systemStatus: fc.integer({ min: 0, max: 0xffff }),
});

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let p = 0;
  for (const c of pts) {
    out.push(bytes.subarray(p, c));
    p = c;
  }
  out.push(bytes.subarray(p));
  return out;
}

describe('NDI framing under random input (property tests)', () => {
  it('any chunking of a reply stream yields the same replies', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            replyArb.map((r) => ({ bin: true, r })),
            fc.constantFrom('OKAY', 'ERROR0C', '020A0310B011').map((t) => ({ bin: false, t })),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        (items, cuts) => {
          const parts = items.map((it) => ('r' in it ? encodeBx(it.r) : encodeAsciiReply(it.t)));
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let o = 0;
          for (const p of parts) {
            all.set(p, o);
            o += p.length;
          }
          const f = new NdiReplyFramer();
          const evs: NdiReplyEvent[] = [];
          for (const c of splitAt(all, cuts)) evs.push(...f.push(c));
          expect(evs).toHaveLength(items.length);
          items.forEach((it, i) => {
            const ev = evs[i]!;
            if ('r' in it) {
              expect(ev.kind).toBe('binary');
              if (ev.kind === 'binary') expect(encodeBx(decodeBx(ev.body))).toEqual(encodeBx(it.r));
            } else expect(ev).toEqual({ kind: 'ascii', text: it.t });
          });
          expect(f.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw, never stall the buffer beyond a frame, and a valid reply after them is still read', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 10 }), (noise, cuts) => {
        const f = new NdiReplyFramer();
        for (const c of splitAt(noise, cuts)) {
          const evs = f.push(c);
          for (const ev of evs) if (ev.kind === 'binary') decodeBxSafe(ev.body);
        }
        // what follows the noise: a CR ends any half-read ASCII line, then a real reply
        f.reset();
        const evs = f.push(encodeBx({ handles: [{ handle: 10, status: 'missing', portStatus: 0x31, frame: 7 }], systemStatus: 0 }));
        expect(evs.at(-1)?.kind).toBe('binary');
      }),
      { numRuns: 500 },
    );
  });

  it('a single flipped byte in a BX reply is always detected, and the next reply is read', () => {
    fc.assert(
      fc.property(replyArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, pos, x) => {
        const good = encodeBx(r);
        const bad = good.slice();
        const i = pos % bad.length;
        bad[i] = bad[i]! ^ x;
        const f = new NdiReplyFramer();
        const evs = f.push(bad);
        expect(evs.some((e) => e.kind === 'binary')).toBe(false);
        f.reset();
        const next = f.push(good);
        expect(next.filter((e) => e.kind === 'binary')).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });

  it('decodeBx and decodeTx reject, never crash on, arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 }), (body, s) => {
        decodeBxSafe(body);
        try {
          decodeTx(s);
        } catch (e) {
          expect((e as Error).name).toBe('NdiReplyError');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the command framer splits on CR under any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('INIT:E3A5', 'BX:080100EC', 'APIREV '), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (cmds, cuts) => {
        const bytes = new TextEncoder().encode(cmds.map((c) => `${c}\r`).join(''));
        const f = new NdiCommandFramer();
        const out: string[] = [];
        for (const c of splitAt(bytes, cuts)) out.push(...f.push(c));
        expect(out).toEqual(cmds);
      }),
    );
  });
});

function decodeBxSafe(body: Uint8Array): void {
  try {
    decodeBx(body);
  } catch (e) {
    expect((e as Error).name).toBe('NdiReplyError');
  }
}

describe('NDI driver state machine', () => {
  it('follows the bring-up and rejects illegal events', () => {
    let s = ndiTransition('closed', 'open');
    for (const e of ['initialized', 'configured', 'ports-ready'] as const) s = ndiTransition(s, e);
    expect(s).toBe('tracking');
    expect(ndiTransition(s, 'link-lost')).toBe('reconnecting');
    expect(ndiTransition('reconnecting', 'reopened')).toBe('probing');
    expect(() => ndiTransition('closed', 'ports-ready')).toThrow(IllegalTransition);
    expect(() => ndiTransition('tracking', 'initialized')).toThrow(/not allowed in state "tracking"/);
  });
});

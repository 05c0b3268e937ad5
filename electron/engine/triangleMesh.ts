/**
 * The triangle mesh shared by the surface pipeline (surface.ts and its
 * stages), and the growable typed-array buffers the stages build meshes in.
 */

export interface TriangleMesh {
  /** Vertex positions, xyz interleaved, LPS mm. */
  points: Float32Array;
  /** Vertex indices, 3 per triangle, counter-clockwise seen from outside. */
  triangles: Uint32Array;
  /** Unit vertex normals, xyz interleaved (outward), if computed. */
  normals?: Float32Array;
}

/** Growable Float32Array of xyz triples (doubles its capacity when full). */
export class GrowF32 {
  a = new Float32Array(1 << 16);
  n = 0;
  push3(x: number, y: number, z: number): void {
    if (this.n + 3 > this.a.length) {
      const b = new Float32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
    this.a[this.n++] = y;
    this.a[this.n++] = z;
  }
  result(): Float32Array {
    return this.a.slice(0, this.n);
  }
}

/** Growable Uint32Array of index triples (doubles its capacity when full). */
export class GrowU32 {
  a = new Uint32Array(1 << 16);
  n = 0;
  push3(x: number, y: number, z: number): void {
    if (this.n + 3 > this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
    this.a[this.n++] = y;
    this.a[this.n++] = z;
  }
  result(): Uint32Array {
    return this.a.slice(0, this.n);
  }
}

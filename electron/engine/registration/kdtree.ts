/**
 * A static 3-D k-d tree for nearest-neighbour and k-nearest queries
 * (Bentley 1975; Friedman, Bentley & Finkel 1977): median splits on the axis
 * of largest extent, stored implicitly in a permuted index array (no node
 * objects), leaves of up to 8 points. Used for ICP correspondences, normal
 * estimation and outlier removal on point clouds in mm.
 */

const LEAF = 8;

export class KdTree3 {
  /** Point indices, permuted so that each subtree is a contiguous range. */
  private readonly idx: Uint32Array;
  /** Per node (implicit binary tree over ranges): split axis (0–2) or 3 for a leaf, and split value. */
  private readonly axis: Uint8Array;
  private readonly split: Float64Array;
  readonly size: number;
  /** Search stack (4 numbers per pending node; depth ≤ 64). */
  private readonly stack = new Float64Array(4 * 2 * 64);

  /**
   * @param points xyz interleaved (mm); the tree keeps a reference, do not modify it while the tree is used
   */
  constructor(readonly points: Float32Array | Float64Array) {
    const n = Math.floor(points.length / 3);
    this.size = n;
    this.idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.idx[i] = i;
    // node count of the implicit tree: at most 2·⌈n/LEAF⌉·2
    const maxNodes = 4 * Math.max(1, Math.ceil(n / LEAF)) + 4;
    this.axis = new Uint8Array(maxNodes).fill(3);
    this.split = new Float64Array(maxNodes);
    if (n) this.build(0, 0, n);
  }

  private build(node: number, lo: number, hi: number): void {
    if (hi - lo <= LEAF || 2 * node + 2 >= this.axis.length) {
      this.axis[node] = 3;
      return;
    }
    const p = this.points;
    const mn = [Infinity, Infinity, Infinity];
    const mx = [-Infinity, -Infinity, -Infinity];
    for (let i = lo; i < hi; i++) {
      const o = 3 * this.idx[i]!;
      for (let k = 0; k < 3; k++) {
        const v = p[o + k]!;
        if (v < mn[k]!) mn[k] = v;
        if (v > mx[k]!) mx[k] = v;
      }
    }
    const ax = mx[0]! - mn[0]! >= mx[1]! - mn[1]! ? (mx[0]! - mn[0]! >= mx[2]! - mn[2]! ? 0 : 2) : mx[1]! - mn[1]! >= mx[2]! - mn[2]! ? 1 : 2;
    const mid = (lo + hi) >> 1;
    this.select(lo, hi - 1, mid, ax);
    this.axis[node] = ax;
    this.split[node] = p[3 * this.idx[mid]! + ax]!;
    this.build(2 * node + 1, lo, mid);
    this.build(2 * node + 2, mid, hi);
  }

  /** Quickselect: idx[k] gets the k-th smallest coordinate `ax` within [lo, hi]. */
  private select(lo: number, hi: number, k: number, ax: number): void {
    const p = this.points;
    const idx = this.idx;
    while (hi > lo) {
      const pv = p[3 * idx[(lo + hi) >> 1]! + ax]!;
      let i = lo,
        j = hi;
      while (i <= j) {
        while (p[3 * idx[i]! + ax]! < pv) i++;
        while (p[3 * idx[j]! + ax]! > pv) j--;
        if (i <= j) {
          const t = idx[i]!;
          idx[i] = idx[j]!;
          idx[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  /**
   * Nearest point to (x, y, z) within √maxDist2 (mm).
   * @returns the point index, or −1 when none is that close; the squared distance in `out[0]`
   */
  nearest(x: number, y: number, z: number, maxDist2 = Infinity, out?: Float64Array): number {
    let best = -1;
    let bd = maxDist2;
    const p = this.points;
    const idx = this.idx;
    const stack = this.stack;
    if (!this.size) return -1;
    // explicit stack of (node, lo, hi, lower bound of the squared distance)
    stack[0] = 0;
    stack[1] = 0;
    stack[2] = this.size;
    stack[3] = 0;
    let sp = 4;
    while (sp) {
      sp -= 4;
      const node = stack[sp]!,
        lo = stack[sp + 1]!,
        hi = stack[sp + 2]!,
        bound = stack[sp + 3]!;
      if (bound >= bd) continue;
      const ax = this.axis[node]!;
      if (ax === 3) {
        for (let i = lo; i < hi; i++) {
          const o = 3 * idx[i]!;
          const dx = p[o]! - x,
            dy = p[o + 1]! - y,
            dz = p[o + 2]! - z;
          const d = dx * dx + dy * dy + dz * dz;
          if (d < bd) {
            bd = d;
            best = idx[i]!;
          }
        }
        continue;
      }
      const mid = (lo + hi) >> 1;
      const diff = (ax === 0 ? x : ax === 1 ? y : z) - this.split[node]!;
      const far = diff * diff;
      // push the far side first so that the near side is searched first
      if (diff < 0) {
        stack[sp] = 2 * node + 2;
        stack[sp + 1] = mid;
        stack[sp + 2] = hi;
        stack[sp + 3] = far;
        stack[sp + 4] = 2 * node + 1;
        stack[sp + 5] = lo;
        stack[sp + 6] = mid;
        stack[sp + 7] = bound;
      } else {
        stack[sp] = 2 * node + 1;
        stack[sp + 1] = lo;
        stack[sp + 2] = mid;
        stack[sp + 3] = far;
        stack[sp + 4] = 2 * node + 2;
        stack[sp + 5] = mid;
        stack[sp + 6] = hi;
        stack[sp + 7] = bound;
      }
      sp += 8;
    }
    if (out) out[0] = bd;
    return best;
  }

  /**
   * The k nearest points to (x, y, z), nearest first.
   * @returns point indices (length ≤ k); squared distances in `d2` when given (same order)
   */
  knn(x: number, y: number, z: number, k: number, d2?: number[]): number[] {
    const ids: number[] = [];
    const ds: number[] = [];
    const p = this.points;
    const idx = this.idx;
    const worst = () => (ids.length < k ? Infinity : ds[ds.length - 1]!);
    const visit = (node: number, lo: number, hi: number): void => {
      const ax = this.axis[node]!;
      if (ax === 3) {
        for (let i = lo; i < hi; i++) {
          const o = 3 * idx[i]!;
          const dx = p[o]! - x,
            dy = p[o + 1]! - y,
            dz = p[o + 2]! - z;
          const d = dx * dx + dy * dy + dz * dz;
          if (d >= worst()) continue;
          // insertion into the sorted candidate list
          let j = ds.length;
          if (ids.length === k) {
            ids.pop();
            ds.pop();
            j--;
          }
          while (j > 0 && ds[j - 1]! > d) j--;
          ids.splice(j, 0, idx[i]!);
          ds.splice(j, 0, d);
        }
        return;
      }
      const mid = (lo + hi) >> 1;
      const diff = (ax === 0 ? x : ax === 1 ? y : z) - this.split[node]!;
      if (diff < 0) {
        visit(2 * node + 1, lo, mid);
        if (diff * diff < worst()) visit(2 * node + 2, mid, hi);
      } else {
        visit(2 * node + 2, mid, hi);
        if (diff * diff < worst()) visit(2 * node + 1, lo, mid);
      }
    };
    if (this.size && k > 0) visit(0, 0, this.size);
    if (d2) d2.splice(0, d2.length, ...ds);
    return ids;
  }
}

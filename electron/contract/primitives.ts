/** Primitive schemas every contract shares: record ids and LPS vectors. Runtime-neutral. */
import { z } from 'zod';

/** A record id (UUID, or a user-chosen name up to 80 characters). */
export const Id = z.string().min(1).max(80);
/** A point or vector (LPS mm unless the field says otherwise). */
export const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
/** A row-major 3×3 matrix (a direction matrix: column c is index axis c in LPS). */
export const Mat3 = z.array(z.number()).length(9);

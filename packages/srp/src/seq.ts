/**
 * Sequence arithmetic. Sequence numbers, arus and token seqs are 32 bits on the wire and wrap;
 * inside the core they are plain integers that never wrap. A received 32-bit value is mapped to the
 * integer nearest to a reference the receiver already knows (its own aru, or the last token seq),
 * which is exact as long as the two are less than 2³¹ apart — always true for a ring.
 */

const TWO32 = 0x1_0000_0000

/** The 32-bit wire form of an internal sequence value (−1 → 0xFFFFFFFF). */
export function wire32(v: number): number {
  return ((v % TWO32) + TWO32) % TWO32
}

/** The internal value nearest to `ref` whose wire form is `w`. */
export function unwrap32(w: number, ref: number): number {
  let d = (w - wire32(ref)) % TWO32
  if (d < 0) d += TWO32
  if (d >= TWO32 / 2) d -= TWO32
  return ref + d
}

/**
 * `at - epoch` in milliseconds, as a small integer where it fits one. V8 keeps such a number inside
 * the object that holds it, while a number from arithmetic on epoch milliseconds gets a separate
 * 16-byte box (and turns that field into a boxed one for every object of the same shape). Past
 * about 24 days since `epoch` (12 on builds with pointer compression) it is returned as it is:
 * still exact, only boxed again.
 */
export function offsetMs(at: number, epoch: number): number {
  const offset = at - epoch;
  return offset >= -0x40000000 && offset < 0x40000000 && Number.isInteger(offset) ? offset | 0 : offset;
}

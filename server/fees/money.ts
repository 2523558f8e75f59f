/** Integer fen as yuan with two decimals, exactly: bigint arithmetic, never floating point. */
export function formatFen(fen: string | number | bigint): string {
  const n = BigInt(fen)
  const abs = n < 0n ? -n : n
  return `${n < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`
}

/** Integer fen as yuan with two decimals, exactly: bigint arithmetic, never floating point. */
export function formatFen(fen: string | number | bigint): string {
  const n = BigInt(fen)
  const abs = n < 0n ? -n : n
  return `${n < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`
}

/** Money typed in yuan ("12", "12.5", "12.50") to integer fen; null when it is not money. */
export function yuanToFen(text: string): number | null {
  const t = text.trim()
  if (t === '') return 0
  const m = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(t)
  if (!m) return null
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

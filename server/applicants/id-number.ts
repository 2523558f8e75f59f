/**
 * Resident identity numbers (GB 11643-1999): 17 digits — region, birth date YYYYMMDD, sequence —
 * and a check character computed with ISO 7064 MOD 11-2.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARS = '10X98765432'

export function idCheckChar(first17: string): string {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]
  return CHECK_CHARS[sum % 11]
}

/** Normalises (trims, upper-cases x) and checks; returns the number or null when it is not a valid one. */
export function normaliseIdNumber(raw: string): string | null {
  const id = raw.trim().toUpperCase()
  if (!/^\d{17}[\dX]$/.test(id)) return null
  const y = Number(id.slice(6, 10))
  const m = Number(id.slice(10, 12))
  const d = Number(id.slice(12, 14))
  if (y < 1890 || m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return null
  if (new Date(Date.UTC(y, m - 1, d)).getTime() > Date.now()) return null
  return idCheckChar(id.slice(0, 17)) === id[17] ? id : null
}

/**
 * Month ranges: the one home of 'YYYY-MM' arithmetic. Every monthly figure (the statistics, the
 * visits count, the board's monthly list and satisfaction, the demo's history) counts the dates d
 * with first <= d < next, so each day falls in exactly one month. It sits beside the monthly
 * statistics, its first user; the calendar folder would suit it too, should its owner take it.
 */

/** The 'YYYY-MM' month of a 'YYYY-MM-DD' day. */
export function monthOf(day: string): string {
  return day.slice(0, 7)
}

/** The first day of a 'YYYY-MM' month and of the month after it, and the month before it. */
export function monthBounds(month: string): { first: string; next: string; previous: string } {
  const [y, m] = month.split('-').map(Number)
  const first = `${month}-01`
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
  const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
  return { first, next, previous }
}

/**
 * Dates in this product are local dates of the configured time zone (default Asia/Shanghai):
 * a case accepted at 23:30 local time belongs to that local date, whatever the server's zone.
 */
const dateFormatters = new Map<string, Intl.DateTimeFormat>()

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = dateFormatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    dateFormatters.set(timeZone, f)
  }
  return f
}

function parts(instant: Date, timeZone: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of partsFormatter(timeZone).formatToParts(instant)) out[p.type] = p.value
  return out
}

/** 'YYYY-MM-DD' of an instant in the given zone. */
/** The zone of dates and deadlines unless APP_TIME_ZONE says otherwise. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

export function formatLocalDate(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone)
  return `${p.year}-${p.month}-${p.day}`
}

/** 'YYYY-MM-DD HH:mm' of an instant in the given zone. */
export function formatLocalDateTime(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** The zone's offset from UTC at an instant, as '+08:00'. */
function offsetOf(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone)
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
  const minutes = Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** ISO 8601 with the zone's offset, e.g. '2026-12-06T09:30:00+08:00' (what Open311 asks for). */
export function formatIsoDateTime(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone)
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offsetOf(instant, timeZone)}`
}

/** The end of a local date ('YYYY-MM-DD' 23:59:59) in ISO 8601 with the zone's offset: a due date as an instant. */
export function endOfLocalDateIso(date: string, timeZone: string): string {
  // The offset at local noon of that day: days when clocks change have one offset for most of it.
  const noon = new Date(`${date}T12:00:00Z`)
  return `${date}T23:59:59${offsetOf(noon, timeZone)}`
}

/**
 * Masking of personal data: one function per kind, used on every page and document that
 * shows personal data to someone not entitled to the full value.
 */

// Two-character surnames (复姓) keep both characters.
const COMPOUND_SURNAMES = [
  '欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙', '宇文', '司徒', '令狐', '夏侯', '轩辕', '端木',
  '西门', '南宫', '独孤', '百里', '呼延', '澹台', '公冶', '太史', '申屠', '钟离', '闻人', '赫连', '濮阳', '单于', '万俟', '司空',
]

/**
 * 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧阳*明; 阿卜杜·热合曼 → 阿卜杜·*; Latin names (María too) →
 * first letter + '*' per word. A name is masked as the person is known, not as it was typed:
 * spaces inside a Chinese name (王 芳, 王　芳, to align forms) and a stray dot at the end are
 * dropped first, since each made the whole name show.
 */
export function maskName(name: string): string {
  const trimmed = name.trim()
  if (!trimmed) return ''
  if (/^[\p{Script=Latin}\s'.-]+$/u.test(trimmed)) {
    const words = trimmed.split(/\s+/)
    return words.map((w) => `${[...w][0]}${'*'.repeat(Math.min(3, Math.max(1, [...w].length - 1)))}`).join(' ')
  }
  const clean = trimmed.replace(/[\s\u3000]+/g, '').replace(/[·•・.．]+$/, '')
  if (!clean) return ''
  // Minority names written with a middle dot keep the first part only.
  const dot = clean.search(/[·•・.．]/)
  if (dot > 0) return `${clean.slice(0, dot)}·*`
  const chars = [...clean]
  const surnameLength = COMPOUND_SURNAMES.some((s) => clean.startsWith(s)) && chars.length > 2 ? 2 : 1
  const surname = chars.slice(0, surnameLength).join('')
  const given = chars.slice(surnameLength)
  if (given.length <= 1) return `${surname}*`
  return `${surname}${'*'.repeat(given.length - 1)}${given[given.length - 1]}`
}

/**
 * 13812341234 → 138****1234 (also typed 138-1234-1234 or +86 138 1234 1234); a landline keeps its
 * area code and last 4 digits. Area codes are read as China numbers them (010 and 02x have three
 * digits, the rest four), not from where a dash was typed, so 01012345678 shows no extra digit.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[\s\-()]/g, '').replace(/^(\+|00)86(?=1\d{10}$)/, '')
  if (/^1\d{10}$/.test(digits)) return `${digits.slice(0, 3)}****${digits.slice(7)}`
  const landline = /^(010|02\d|0[3-9]\d{2})(\d{3,4})(\d{4})$/.exec(digits)
  if (landline) return `${landline[1]}-****${landline[3]}`
  if (digits.length <= 4) return '****'
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`
}

/** For staff without the right to the full number: region code and last digit only. Never published at all. */
export function maskIdNumber(id: string | null): string {
  if (!id) return ''
  return `${id.slice(0, 6)}${'*'.repeat(Math.max(0, id.length - 7))}${id.slice(-1)}`
}

/** What people type between an ID number's digits: spaces, dashes of any width, underscores (up to three together, as in "110101 - 1990"). */
const ID_SEPARATORS = '[\\s\\-\u2010\u2011\u2013\u2014\uFF0D_]{0,3}'
/** 15 to 18 characters of an ID number, the last possibly X, however spaced or dashed. */
const ID_RUN = new RegExp(`\\d(?:${ID_SEPARATORS}\\d){13,16}(?:${ID_SEPARATORS}[\\dXx×])?`, 'g')
/** Full-width digits and X, which people type too: read as ASCII before looking for a run. */
const foldDigits = (text: string) => text.replace(/[\uFF10-\uFF19\uFF38\uFF58]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))

/**
 * Text kept for later that may hold an ID number someone typed (an import's problem list): every
 * run that looks like one (15 to 18 characters, spaced or dashed as people write it: "110101
 * 19900307 7715", "110101-1990-0307-7715") is masked, so the database holds none in clear. A run
 * of more digits is masked too: a problem list loses nothing it needs by that.
 */
export function maskIdNumbersIn(text: string): string {
  return foldDigits(text).replace(ID_RUN, (run) => maskIdNumber(run.replace(/[^\dXx×]/g, '').replace(/[x×]$/, 'X')))
}

/**
 * Masking of personal data: one function per kind, used on every page and document that
 * shows personal data to someone not entitled to the full value.
 */

// Two-character surnames (复姓) keep both characters.
const COMPOUND_SURNAMES = [
  '欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙', '宇文', '司徒', '令狐', '夏侯', '轩辕', '端木',
  '西门', '南宫', '独孤', '百里', '呼延', '澹台', '公冶', '太史', '申屠', '钟离', '闻人', '赫连', '濮阳', '单于', '万俟', '司空',
]

/** 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧阳*明; 阿卜杜·热合曼 → 阿卜杜·*; Latin names → first letter + '*'. */
export function maskName(name: string): string {
  const trimmed = name.trim()
  if (!trimmed) return ''
  if (/^[\x20-\x7e]+$/.test(trimmed)) {
    const words = trimmed.split(/\s+/)
    return words.map((w) => `${w[0]}${'*'.repeat(Math.min(3, Math.max(1, w.length - 1)))}`).join(' ')
  }
  // Minority names written with a middle dot keep the first part only.
  const dot = trimmed.search(/[·•・.．]/)
  if (dot > 0) return `${trimmed.slice(0, dot)}·*`
  const chars = [...trimmed]
  const surnameLength = COMPOUND_SURNAMES.some((s) => trimmed.startsWith(s)) && chars.length > 2 ? 2 : 1
  const surname = chars.slice(0, surnameLength).join('')
  const given = chars.slice(surnameLength)
  if (given.length <= 1) return `${surname}*`
  return `${surname}${'*'.repeat(given.length - 1)}${given[given.length - 1]}`
}

/** 13812345678 → 138****5678; a landline keeps its area code and last 4 digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\s/g, '')
  if (/^1\d{10}$/.test(digits)) return `${digits.slice(0, 3)}****${digits.slice(7)}`
  const landline = /^(0\d{2,3})-?(\d{3,4})(\d{4})$/.exec(digits)
  if (landline) return `${landline[1]}-****${landline[3]}`
  if (digits.length <= 4) return '****'
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`
}

/** For staff without the right to the full number: region code and last digit only. Never published at all. */
export function maskIdNumber(id: string | null): string {
  if (!id) return ''
  return `${id.slice(0, 6)}${'*'.repeat(Math.max(0, id.length - 7))}${id.slice(-1)}`
}

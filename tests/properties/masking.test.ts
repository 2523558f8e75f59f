import t, { type Test } from 'tap'
import fc from 'fast-check'
import { maskIdNumber, maskName, maskPhone } from '../../server/privacy/mask.ts'

/*
 * Masking (server/privacy/mask.ts) against real name shapes and the rules its comments promise:
 * a Han name keeps its surname (both characters of a compound one) and, from three characters on,
 * its last character; a name with a middle dot keeps its first part; a Latin name keeps the first
 * letter of each word. A mobile shows 3 + 4 digits, a landline its area code and last 4, an ID
 * number its 6-digit region code and last character.
 */

const SEED = 20261115
let total = 0
function check<T>(t: Test, name: string, property: fc.IProperty<T>, numRuns: number) {
  fc.assert(property, { seed: SEED, numRuns })
  total += numRuns
  t.pass(`${name}: ${numRuns} runs`)
}

const chars = (s: string) => [...s]
const stars = (s: string) => chars(s).filter((c) => c === '*').length

// ---- Generators of real name shapes ----

// Common single surnames; none begins a compound surname (夏侯, 钟离, 万俟 left out on purpose).
const SURNAMES = chars('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔谭陆汪范金石廖贾韦付方白邹孟熊秦邱江尹薛闫段雷龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔向汤')
const COMPOUND = ['欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '慕容', '夏侯', '司徒', '公孙', '令狐', '长孙']
const GIVEN = chars('芳娜伟敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国小三婉儿相如亮德福春梅海燕雪松林峰')
const UYGHUR = ['阿依古丽', '买买提', '迪丽热巴', '迪力木拉提', '阿卜杜', '热合曼', '古丽', '艾力', '努尔', '吐尔逊', '帕提古丽']
const DOTS = ['·', '•', '・', '．']

const hanName = fc.record({
  surname: fc.oneof(fc.constantFrom(...SURNAMES), fc.constantFrom(...COMPOUND)),
  given: fc.array(fc.constantFrom(...GIVEN), { minLength: 1, maxLength: 3 }),
}).map(({ surname, given }) => ({ name: surname + given.join(''), surname, given }))
const dotName = fc.record({
  parts: fc.array(fc.constantFrom(...UYGHUR), { minLength: 2, maxLength: 3 }),
  dot: fc.constantFrom(...DOTS),
}).map(({ parts, dot }) => ({ name: parts.join(dot), first: parts[0] }))
const latinWord = fc.stringMatching(/^[A-Z][a-z]{0,9}$/)
const latinName = fc.record({
  words: fc.array(latinWord, { minLength: 1, maxLength: 3 }),
  gaps: fc.array(fc.constantFrom(' ', '  ', '   '), { minLength: 3, maxLength: 3 }),
}).map(({ words, gaps }) => ({ name: words.map((w, i) => (i ? gaps[i] : '') + w).join(''), words }))
const around = fc.constantFrom('', ' ', '  ', '\u3000', '\t', ' \n')

t.test('names: a table of real shapes', async (t) => {
  const rows: [string, string, string][] = [
    ['王', '王*', 'one character'],
    ['王芳', '王*', 'two characters'],
    ['张小三', '张*三', 'three characters'],
    ['王建国强', '王**强', 'four characters'],
    ['欧阳娜娜', '欧阳*娜', 'compound surname, four characters'],
    ['司马相如', '司马*如', 'compound surname'],
    ['诸葛亮', '诸葛*', 'compound surname, one-character given name'],
    ['上官婉儿', '上官*儿', 'compound surname'],
    ['欧阳', '欧*', 'two characters that spell a compound surname: a surname and a given name'],
    ['阿依古丽·买买提', '阿依古丽·*', 'middle dot: the first part only'],
    ['迪丽热巴·迪力木拉提', '迪丽热巴·*', 'middle dot'],
    ['阿依古丽•买买提', '阿依古丽·*', 'bullet typed for the middle dot'],
    ['John Smith', 'J*** S***', 'Latin letters: first letter of each word'],
    ['  John   Smith ', 'J*** S***', 'extra spaces around and between words'],
    ['Xi Jinping', 'X* J***', ''],
    ['Li', 'L*', ''],
    [' 王芳 ', '王*', 'spaces around'],
    ['\u3000张小三\u3000', '张*三', 'full-width spaces around'],
    ['', '', 'empty'],
    ['   ', '', 'only spaces'],
  ]
  for (const [name, masked, why] of rows) t.equal(maskName(name), masked, `${JSON.stringify(name)} → ${masked} ${why}`)
})

t.test('names: properties over real shapes', async (t) => {
  const anyName = fc.oneof(hanName.map((n) => n.name), dotName.map((n) => n.name), latinName.map((n) => n.name))
  check(t, 'a name of two or more characters never comes out whole, and keeps its first character', fc.property(anyName, (name) => {
    const masked = maskName(name)
    const trimmed = name.trim()
    return masked.startsWith(chars(trimmed)[0]) && stars(masked) >= 1 && (chars(trimmed).length < 2 || !masked.includes(trimmed))
  }), 500)
  check(t, 'spaces around a name change nothing', fc.property(anyName, around, around, (name, before, after) => maskName(before + name + after) === maskName(name)), 300)
  check(t, 'a Han name shows its surname (both characters of a compound one), the last given character from three characters on, and one * for each other character', fc.property(hanName, ({ name, surname, given }) => {
    const masked = maskName(name)
    // 欧阳 + one character is 欧阳*; a two-character name is surname + *.
    const expected = given.length === 1 ? `${surname}*` : `${surname}${'*'.repeat(given.length - 1)}${given.at(-1)}`
    return masked === expected && chars(masked).length === chars(name).length
  }), 500)
  check(t, 'a name with a middle dot shows its first part and nothing of the rest', fc.property(dotName, ({ name, first }) => maskName(name) === `${first}·*`), 200)
  check(t, 'a Latin name shows the first letter of each word and 1–3 stars for the rest', fc.property(latinName, ({ name, words }) => {
    const masked = maskName(name).split(' ')
    return masked.length === words.length && masked.every((m, i) => new RegExp(`^${words[i][0]}\\*{1,3}$`).test(m))
  }), 300)
})

// Found when the properties above were run on names as people type them (each showed the whole name before the fix).
t.test('names typed with a space inside or a stray dot reveal no more than the clean name', async (t) => {
  const rows: [string, string, string][] = [
    ['王 芳', '王*', 'a space between surname and given name (was 王*芳: the whole name)'],
    ['王\u3000芳', '王*', 'a full-width space, the usual way to align two-character names on forms (was 王*芳)'],
    ['诸葛 亮', '诸葛*', 'compound surname and a space (was 诸葛*亮: the whole name)'],
    ['王芳.', '王*', 'a stray full stop (was 王芳·*: the whole name)'],
    ['张小三·', '张*三', 'a stray middle dot at the end (was 张小三·*: the whole name)'],
  ]
  for (const [name, masked, why] of rows) t.equal(maskName(name), masked, `${JSON.stringify(name)}: ${why}`)
  // Whitespace typed between surname and given name, or a dot typed after the name.
  const messy = fc.tuple(hanName, fc.constantFrom(' ', '\u3000', '.', '·')).map(([{ name, surname, given }, mark]) => ({
    clean: name,
    typed: mark.trim() === '' ? surname + mark + given.join('') : name + mark,
  }))
  const visible = (masked: string) => chars(masked).filter((c) => !/[*\s·.]/.test(c)).sort().join('')
  const result = fc.check(fc.property(messy, ({ clean, typed }) => visible(maskName(typed)) === visible(maskName(clean))), { seed: SEED, numRuns: 300 })
  t.notOk(result.failed, `the characters shown are those of the clean name${result.failed ? `; counterexample ${JSON.stringify(result.counterexample)} → ${JSON.stringify(maskName(result.counterexample![0].typed))}` : ''}`)
})

t.test('Latin names with accented letters follow the Latin rule', async (t) => {
  t.equal(maskName('María'), 'M***', 'was M***a')
  t.equal(maskName('José García'), 'J*** G***', 'was J*********a')
})

// ---- Phones ----

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''))
const mobile = fc.tuple(fc.integer({ min: 3, max: 9 }), digits(9)).map(([second, rest]) => `1${second}${rest}`)
const spaced = (phone: string) => fc.array(fc.constantFrom('', '', '', ' '), { minLength: phone.length, maxLength: phone.length }).map((gaps) => chars(phone).map((c, i) => c + gaps[i]).join(''))
// Area codes: 010 and 020–029 have three digits and 8-digit local numbers; the rest have four and 7 or 8.
const shortArea = fc.oneof(fc.constant('010'), fc.integer({ min: 0, max: 9 }).map((d) => `02${d}`))
const longArea = fc.tuple(fc.integer({ min: 3, max: 9 }), digits(2)).map(([d, rest]) => `0${d}${rest}`)
const landline = fc.oneof(
  fc.record({ area: shortArea, local: fc.tuple(fc.integer({ min: 2, max: 9 }), digits(7)).map(([d, r]) => `${d}${r}`) }),
  fc.record({ area: longArea, local: fc.tuple(fc.integer({ min: 2, max: 9 }), fc.oneof(digits(6), digits(7))).map(([d, r]) => `${d}${r}`) }),
)

t.test('phones', async (t) => {
  const rows: [string, string][] = [
    ['13812341234', '138****1234'],
    ['138 1234 1234', '138****1234'],
    [' 13812341234 ', '138****1234'],
    ['010-12345678', '010-****5678'],
    ['021-87654321', '021-****4321'],
    ['0816-3267166', '0816-****7166'],
    ['08163267166', '0816-****7166'],
    ['0755-12345678', '0755-****5678'],
    ['075512345678', '0755-****5678'],
    ['95588', '*5588'],
    ['1234', '****'],
  ]
  for (const [phone, masked] of rows) t.equal(maskPhone(phone), masked, JSON.stringify(phone))
  check(t, 'an 11-digit mobile, spaced any way, shows 3 + 4 digits', fc.property(mobile.chain((m) => spaced(m).map((s) => [m, s] as const)), ([m, typed]) => maskPhone(typed) === `${m.slice(0, 3)}****${m.slice(7)}`), 300)
  check(t, 'a landline written with a dash shows its area code and last 4 digits', fc.property(landline, ({ area, local }) => maskPhone(`${area}-${local}`) === `${area}-****${local.slice(-4)}`), 300)
  check(t, 'a landline with a four-digit area code, written without a dash, shows the same', fc.property(landline.filter((l) => l.area.length === 4), fc.constantFrom('', ' '), ({ area, local }, gap) => maskPhone(`${area}${gap}${local}`) === `${area}-****${local.slice(-4)}`), 200)
  check(t, 'any number of 5+ digits never comes out whole, shows its last 4, and no more than 8 digits in all', fc.property(fc.integer({ min: 5, max: 16 }).chain(digits), (phone) => {
    const masked = maskPhone(phone)
    const shown = masked.replace(/\D/g, '').length
    return masked !== phone && masked.endsWith(phone.slice(-4)) && shown <= (phone.startsWith('1') && phone.length === 11 ? 7 : phone.startsWith('0') ? 8 : 4)
  }), 500)
})

t.test('phone numbers as people write them', async (t) => {
  const rows: [string, string, string][] = [
    ['01012345678', '010-****5678', 'Beijing without a dash (was 0101-****5678: one more digit of the number shown)'],
    ['010 12345678', '010-****5678', 'Beijing with a space (was 0101-****5678)'],
    ['021 87654321', '021-****4321', 'Shanghai with a space (was 0218-****4321)'],
    ['138-1234-1234', '138****1234', 'a mobile with dashes (was *********1234)'],
    ['+86 138 1234 1234', '138****1234', 'a mobile with +86 (was **********1234)'],
  ]
  for (const [phone, masked, why] of rows) t.equal(maskPhone(phone), masked, `${JSON.stringify(phone)}: ${why}`)
  const result = fc.check(fc.property(landline.filter((l) => l.area.length === 3), fc.constantFrom('', ' '), ({ area, local }, gap) => maskPhone(`${area}${gap}${local}`) === `${area}-****${local.slice(-4)}`), { seed: SEED, numRuns: 100 })
  t.notOk(result.failed, `a three-digit area code without a dash keeps three digits${result.failed ? `; counterexample ${JSON.stringify(result.counterexample)}` : ''}`)
})

// ---- ID numbers ----

t.test('ID numbers', async (t) => {
  t.equal(maskIdNumber('11010519491231002X'), '110105***********X')
  t.equal(maskIdNumber(null), '')
  t.equal(maskIdNumber(''), '')
  const id18 = fc.tuple(digits(17), fc.constantFrom(...chars('0123456789X'))).map(([body, check]) => body + check)
  check(t, 'an 18-character ID number shows its region code and last character only', fc.property(id18, (id) => maskIdNumber(id) === `${id.slice(0, 6)}${'*'.repeat(11)}${id.slice(-1)}`), 300)
  check(t, 'a 15-digit ID number of the first generation shows its region code and last digit only', fc.property(digits(15), (id) => maskIdNumber(id) === `${id.slice(0, 6)}${'*'.repeat(8)}${id.slice(-1)}`), 200)
  // The promise holds from 8 characters on. Shorter strings come out whole (maskIdNumber('1234567') is
  // '1234567'); none reaches it today, since applicants.id_number must match ^[0-9]{17}[0-9X]$.
  check(t, 'any string of 8+ characters: never whole, same length, only the first 6 and the last shown', fc.property(fc.string({ unit: fc.constantFrom(...chars('0123456789Xx ')), minLength: 8, maxLength: 24 }), (id) => {
    const masked = maskIdNumber(id)
    if (masked === id || masked.length !== id.length) return false
    return chars(masked).every((c, i) => c === (i < 6 || i === id.length - 1 ? id[i] : '*'))
  }), 300)
})

t.after(() => t.comment(`${total} property runs in all, seed ${SEED}`))

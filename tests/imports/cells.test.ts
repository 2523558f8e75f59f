import t, { type Test } from 'tap'
import fc from 'fast-check'
import { idCheckChar } from '../../server/applicants/id-number.ts'
import { translate } from '../../server/i18n/i18n.ts'
import {
  cellText,
  matchName,
  nameKey,
  nameStem,
  readChoice,
  readDate,
  readIdNumber,
  readInteger,
  readOptionalDate,
  readPhone,
  readRequiredText,
  readText,
  stemsOverlap,
  type Read,
} from '../../server/imports/cells.ts'

/*
 * The import's cell readers (server/imports/cells.ts) against the cells exceljs really hands over:
 * rich text, formulas, hyperlinks, error cells, dates as Dates or serials, IDs and phones stored as
 * numbers, full-width digits from Chinese input methods.
 */

const SEED = 20261206
function check<T>(t: Test, name: string, property: fc.IProperty<T>, numRuns: number) {
  fc.assert(property, { seed: SEED, numRuns })
  t.pass(`${name}: ${numRuns} runs`)
}

const refused = (key: string, params?: Record<string, unknown>): Read<never> =>
  params ? { ok: false, key: `imports.cells.${key}`, params } : { ok: false, key: `imports.cells.${key}` }
const okay = <T>(value: T): Read<T> => ({ ok: true, value })
const label = (cell: unknown) => (cell instanceof Date ? `Date ${Number.isNaN(cell.getTime()) ? 'invalid' : cell.toISOString()}` : JSON.stringify(cell) ?? String(cell))
/** Full-width form of the ASCII characters in s. */
const wide = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, '\u3000')

t.test('cellText reads every shape of cell as plain text', async (t) => {
  const rows: [unknown, string][] = [
    [null, ''],
    [undefined, ''],
    ['', ''],
    ['   ', ''],
    ['  张三  ', '张三'],
    ['张  三\t\n丰', '张 三 丰'],
    ['\u3000张三\u3000', '张三'],
    ['ＡＢＣ１２３，', 'ABC123,'],
    ['Ａ\u3000Ｂ', 'A B'],
    ['\u200B13912345678\uFEFF', '13912345678'],
    [13912345678, '13912345678'],
    [510781199003071, '510781199003071'],
    [1e21, '1000000000000000000000'],
    [1.5, '1.5'],
    [{ formula: 'A1+B1', result: 0.1 + 0.2 }, '0.3'],
    [13912345678.000002, '13912345678'],
    [1e-7, '0.0000001'],
    [-3, '-3'],
    [0, '0'],
    [Number.NaN, ''],
    [true, 'TRUE'],
    [false, 'FALSE'],
    [new Date(Date.UTC(2026, 0, 5)), '2026-01-05'],
    [new Date(Date.UTC(2026, 0, 5, 9, 30)), '2026-01-05 09:30:00'],
    [{ richText: [{ text: '新华' }, { text: '村', font: { bold: true } }] }, '新华村'],
    [{ richText: [{ text: ' 城关镇 ' }, { text: ' 民政窗口' }] }, '城关镇 民政窗口'],
    [{ formula: 'A1&B1', result: '新华村' }, '新华村'],
    [{ formula: 'A1*1', result: 13912345678 }, '13912345678'],
    [{ sharedFormula: 'C2', result: '批准' }, '批准'],
    [{ formula: 'NOW()' }, ''],
    [{ formula: 'VLOOKUP(A1,B:C,2,0)', result: { error: '#N/A' } }, ''],
    [{ text: '办事指南', hyperlink: 'https://example.org/' }, '办事指南'],
    [{ text: { richText: [{ text: 'Ｘ' }, { text: 'Y' }] }, hyperlink: 'https://example.org/' }, 'XY'],
    [{ error: '#N/A' }, ''],
    [{ error: '#REF!' }, ''],
    [{}, ''],
  ]
  for (const [cell, text] of rows) t.equal(cellText(cell), text, label(cell))
})

t.test('readText and readRequiredText', async (t) => {
  t.same(readText(null, 10), okay(''), 'empty is allowed')
  t.same(readText(' 备注 ', 10), okay('备注'))
  t.same(readText('一二三四五', 5), okay('一二三四五'), 'the maximum counts characters, not bytes')
  t.same(readText('一二三四五六', 5), refused('tooLong', { max: 5 }))
  t.same(readText('𠀀𠀀', 2), okay('𠀀𠀀'), 'a character outside the BMP counts once')
  t.same(readText('六组\u0001', 10), refused('controlCharacter'), 'a control character is refused, as in every form (it breaks the Open311 XML feed)')
  t.same(readText('六组\u0085', 10), refused('controlCharacter'), 'C1 too')
  t.same(readRequiredText('\u007f张三', 10), refused('controlCharacter'))
  t.same(readRequiredText('', 10), refused('required'))
  t.same(readRequiredText('\u3000 ', 10), refused('required'), 'spaces alone are empty')
  t.same(readRequiredText({ error: '#N/A' }, 10), refused('required'))
  t.same(readRequiredText({ richText: [{ text: '张' }, { text: '三' }] }, 10), okay('张三'))
  t.same(readRequiredText('张三丰', 2), refused('tooLong', { max: 2 }))
})

t.test('readDate: every way a date arrives', async (t) => {
  const jan5 = okay('2026-01-05')
  const rows: [unknown, Read<string>][] = [
    [new Date(Date.UTC(2026, 0, 5)), jan5],
    [new Date(Date.UTC(2026, 0, 5, 23, 59)), jan5],
    [{ formula: 'TODAY()', result: new Date(Date.UTC(2026, 0, 5)) }, jan5],
    [46027, jan5],
    [46027.75, jan5],
    [45000, okay('2023-03-15')],
    [{ formula: 'A1+1', result: 46026 }, okay('2026-01-04')],
    [61, okay('1900-03-01')],
    [73415, okay('2100-12-31')],
    [73416, refused('date')],
    [60, refused('date')], // Excel's phantom 1900-02-29
    [59, refused('date')],
    [1, refused('date')],
    [0, refused('date')],
    [-5, refused('date')],
    [20260105, jan5],
    [20260230, refused('date')],
    ['2026-1-5', jan5],
    ['2026-01-05', jan5],
    ['2026.1.5', jan5],
    ['2026/1/5', jan5],
    ['2026/01/05', jan5],
    ['2026年1月5日', jan5],
    ['2026年01月05日', jan5],
    ['2026年1月5', jan5],
    ['20260105', jan5],
    ['　２０２６年１月５日', jan5],
    ['２０２６－１－５', jan5],
    ['２０２６／１／５', jan5],
    ['２０２６．１．５', jan5],
    ['２０２６０１０５', jan5],
    [' 2026 年 1 月 5 日 ', jan5],
    ['2026 - 1 - 5', jan5],
    ['2026-01-05 00:00:00', jan5],
    ['2026-01-05T08:30', jan5],
    [{ richText: [{ text: '2026年' }, { text: '1月5日' }] }, jan5],
    ['2024-02-29', okay('2024-02-29')],
    ['1900-01-01', okay('1900-01-01')],
    ['2100-12-31', okay('2100-12-31')],
    ['2026-02-30', refused('date')],
    ['2026-02-29', refused('date')],
    ['2026-13-01', refused('date')],
    ['2026-00-10', refused('date')],
    ['2026-01-00', refused('date')],
    ['1899-12-31', refused('date')],
    ['2101-01-01', refused('date')],
    ['26-1-5', refused('date')],
    ['2026-1', refused('date')],
    ['2026年1月5日上午', refused('date')],
    ['明天', refused('date')],
    ['2026-1-5 2026-1-6', refused('date')],
    [true, refused('date')],
    [new Date(Number.NaN), refused('date')],
    [new Date(Date.UTC(1899, 11, 31)), refused('date')],
    ['', refused('required')],
    [null, refused('required')],
    [{ error: '#VALUE!' }, refused('required')],
  ]
  for (const [cell, read] of rows) t.same(readDate(cell), read, label(cell))
})

t.test('readOptionalDate: empty is null, anything else is read as a date', async (t) => {
  t.same(readOptionalDate(null), okay(null))
  t.same(readOptionalDate(' \u3000'), okay(null))
  t.same(readOptionalDate({ formula: 'IF(A1,"",B1)', result: '' }), okay(null))
  t.same(readOptionalDate('2026年1月5日'), okay('2026-01-05'))
  t.same(readOptionalDate('2026-02-30'), refused('date'))
})

t.test('readDate reads any typed form of any valid date (property)', async (t) => {
  const date = fc
    .record({ y: fc.integer({ min: 1900, max: 2100 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 31 }) })
    .filter(({ y, m, d }) => d <= new Date(Date.UTC(y, m, 0)).getUTCDate())
  const p2 = (n: number) => String(n).padStart(2, '0')
  const formats = [
    ({ y, m, d }: { y: number; m: number; d: number }) => `${y}-${m}-${d}`,
    ({ y, m, d }: { y: number; m: number; d: number }) => `${y}-${p2(m)}-${p2(d)}`,
    ({ y, m, d }: { y: number; m: number; d: number }) => `${y}.${m}.${d}`,
    ({ y, m, d }: { y: number; m: number; d: number }) => `${y}/${m}/${d}`,
    ({ y, m, d }: { y: number; m: number; d: number }) => `${y}年${m}月${d}日`,
    ({ y, m, d }: { y: number; m: number; d: number }) => `${y}${p2(m)}${p2(d)}`,
  ]
  check(
    t,
    'string forms, half- or full-width, padded with spaces',
    fc.property(date, fc.nat(formats.length - 1), fc.boolean(), fc.constantFrom('', ' ', '\u3000', '  '), (dt, f, fullWidth, pad) => {
      const iso = `${dt.y}-${p2(dt.m)}-${p2(dt.d)}`
      const typed = formats[f](dt)
      const read = readDate(pad + (fullWidth ? wide(typed) : typed) + pad)
      return read.ok && read.value === iso
    }),
    500,
  )
  check(
    t,
    'Date cells and Excel serials',
    fc.property(date, ({ y, m, d }) => {
      const iso = `${y}-${p2(m)}-${p2(d)}`
      const utc = Date.UTC(y, m - 1, d)
      const fromDate = readDate(new Date(utc))
      if (!fromDate.ok || fromDate.value !== iso) return false
      if (utc < Date.UTC(1900, 2, 1)) return true // before Excel's phantom leap day: no trustworthy serial
      const serial = Math.round((utc - Date.UTC(1899, 11, 30)) / 86_400_000)
      const fromSerial = readDate(serial)
      return fromSerial.ok && fromSerial.value === iso
    }),
    300,
  )
})

// ---- ID numbers ----

const withCheck = (first17: string) => first17 + idCheckChar(first17)
const ID = withCheck('51078119900307123') // 510781199003071232
const ID_X = withCheck('11010519491231002') // …X

t.test('readIdNumber: the forms a valid number arrives in', async (t) => {
  t.equal(ID, '510781199003071232')
  t.equal(ID_X, '11010519491231002X')
  const rows: [unknown, Read<string | null>][] = [
    [ID, okay(ID)],
    [` ${ID} `, okay(ID)],
    ['510781 19900307 1232', okay(ID)],
    ['510781-19900307-1232', okay(ID)],
    ['５１０７８１１９９００３０７１２３２', okay(ID)],
    ['５１０７８１\u3000１９９００３０７\u3000１２３２', okay(ID)],
    [ID_X, okay(ID_X)],
    ['11010519491231002x', okay(ID_X)],
    ['１１０１０５１９４９１２３１００２ｘ', okay(ID_X)],
    ['１１０１０５１９４９１２３１００２Ｘ', okay(ID_X)],
    ['11010519491231002×', okay(ID_X)],
    [{ richText: [{ text: '510781' }, { text: '199003071232' }] }, okay(ID)],
    [{ formula: 'TRIM(A1)', result: ID }, okay(ID)],
    [null, okay(null)],
    ['', okay(null)],
    ['\u3000', okay(null)],
  ]
  for (const [cell, read] of rows) t.same(readIdNumber(cell), read, label(cell))
})

t.test('readIdNumber: numbers Excel has already damaged are refused, never guessed', async (t) => {
  const rows: unknown[] = [
    5.10781198001e17,
    510781199003071232, // what JavaScript makes of the literal: 510781199003071200
    Number(ID),
    1e15,
    123456789012345678,
    { formula: 'A1*1', result: 5.10781198001e17 },
    '5.10781198001E+17',
    '5.10781E17',
    '５．１０７８１Ｅ＋１７',
  ]
  for (const cell of rows) t.same(readIdNumber(cell), refused('idAsNumber'), label(cell))
  const message = translate('zh-CN', 'imports.cells.idAsNumber')
  t.match(message, /存成了数字/)
  t.match(message, /文本/)
})

t.test('readIdNumber: wrong shapes and wrong check characters', async (t) => {
  const formats: unknown[] = [
    '510781900307123', // a 15-digit first-generation number: refused, not upgraded
    510781900307123, // the same as a number cell (fits in 15 digits)
    '51078119900307123', // 17 digits
    '5107811990030712321', // 19 digits
    '51078119900307123A',
    '5107811990030712X2',
    '510781199013071234', // month 13
    withCheck('51078120260230123'), // 30 February, right check character
    withCheck('51078118000101123'), // born in 1800
    withCheck('51078121000101123'), // born in the future
    '张三',
    '510781199003071.5',
    12.5,
    true,
  ]
  for (const cell of formats) t.same(readIdNumber(cell), refused('idFormat'), label(cell))

  // The right check character is never told: stored with the job, it would complete the number.
  const checks = ['510781199003071233', '510781199003071230', '51078119900307123X', '110105194912310021', '11010519491231002０']
  for (const cell of checks) t.same(readIdNumber(cell), refused('idCheck'), cell)
  // A wrong check character on an impossible birth date is a format error: fixing the check would not help.
  const badDate = '51078120260230123'
  const wrongCheck = idCheckChar(badDate) === '0' ? '1' : '0'
  t.same(readIdNumber(badDate + wrongCheck), refused('idFormat'))
  t.equal(translate('zh-CN', 'imports.cells.idCheck'), '身份证号校验位（最后一位）不对，请对照身份证核对。')
})

t.test('readIdNumber reads a valid number through spaces, dashes and full-width digits (property)', async (t) => {
  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''))
  const birth = fc
    .record({ y: fc.integer({ min: 1900, max: 2020 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 31 }) })
    .filter(({ y, m, d }) => d <= new Date(Date.UTC(y, m, 0)).getUTCDate())
    .map(({ y, m, d }) => `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`)
  const validId = fc.tuple(fc.integer({ min: 110000, max: 659999 }), birth, digits(3)).map(([region, b, seq]) => withCheck(`${region}${b}${seq}`))
  const noise = fc.constantFrom('', '', '', ' ', '-', '\u3000', '－', '  ')
  check(
    t,
    'noisy forms of valid numbers',
    fc.property(validId, fc.array(noise, { minLength: 19, maxLength: 19 }), fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }), fc.boolean(), (id, gaps, wideAt, lowerX) => {
      let typed = gaps[0]
      for (let i = 0; i < 18; i++) {
        let c = id[i]
        if (c === 'X' && lowerX) c = 'x'
        typed += (wideAt[i] ? wide(c) : c) + gaps[i + 1]
      }
      const read = readIdNumber(typed)
      return read.ok && read.value === id
    }),
    500,
  )
  check(
    t,
    'a changed check character is reported, without the right one',
    fc.property(validId, fc.constantFrom(...'0123456789X'), (id, other) => {
      fc.pre(other !== id[17])
      const read = readIdNumber(id.slice(0, 17) + other)
      return !read.ok && read.key === 'imports.cells.idCheck' && read.params === undefined
    }),
    300,
  )
})

// ---- Phones ----

t.test('readPhone', async (t) => {
  const mobile = okay('13912345678')
  const rows: [unknown, boolean, Read<string>][] = [
    ['13912345678', true, mobile],
    [13912345678, true, mobile],
    [{ formula: 'A1', result: 13912345678 }, true, mobile],
    ['139 1234 5678', true, mobile],
    ['139-1234-5678', true, mobile],
    ['１３９１２３４５６７８', true, mobile],
    ['１３９\u3000１２３４\u3000５６７８', true, mobile],
    ['+86 139 1234 5678', true, mobile],
    ['+8613912345678', true, mobile],
    ['８６１３９１２３４５６７８', true, mobile],
    ['8613912345678', true, mobile],
    ['008613912345678', true, mobile],
    ['(+86)13912345678', true, mobile],
    ['19912345678', true, okay('19912345678')],
    ['0838-1234567', true, okay('0838-1234567')],
    ['0838 - 1234567', true, okay('0838-1234567')],
    ['08381234567', true, okay('08381234567')],
    ['010-12345678', true, okay('010-12345678')],
    ['０８３８－１２３４５６７', true, okay('0838-1234567')],
    ['(0838)1234567', true, okay('0838-1234567')],
    ['（0838）1234567', true, okay('0838-1234567')],
    ['12912345678', true, refused('phone')], // no 12x mobiles
    ['1391234567', true, refused('phone')], // 10 digits
    ['139123456789', true, refused('phone')],
    [8381234567, true, refused('phone')], // a landline whose leading 0 Excel dropped
    ['13912345678/13812345678', true, refused('phone')],
    ['无', true, refused('phone')],
    ['0838-123456', true, refused('phone')],
    [1.3912345678e10 + 0.5, true, refused('phone')],
    ['', true, refused('required')],
    [null, true, refused('required')],
    ['', false, okay('')],
    [{ error: '#N/A' }, false, okay('')],
  ]
  for (const [cell, required, read] of rows) t.same(readPhone(cell, required), read, `${label(cell)}${required ? '' : ' (optional)'}`)
})

// ---- Whole numbers ----

t.test('readInteger', async (t) => {
  const rows: [unknown, Read<number>][] = [
    [3, okay(3)],
    [3.0, okay(3)],
    [{ formula: 'SUM(A1:A3)', result: 4 }, okay(4)],
    [{ formula: 'A1*3', result: 2.9999999999999996 }, okay(3)],
    ['3', okay(3)],
    [' 3 ', okay(3)],
    ['３', okay(3)],
    ['１２', okay(12)],
    ['3人', okay(3)],
    ['3 户', okay(3)],
    ['3.0', okay(3)],
    ['+3', okay(3)],
    ['0', okay(0)],
    ['1,200', refused('integer', { min: 0, max: 20 })],
    [2.5, refused('integer', { min: 0, max: 20 })],
    ['2.5', refused('integer', { min: 0, max: 20 })],
    [21, refused('integer', { min: 0, max: 20 })],
    [-1, refused('integer', { min: 0, max: 20 })],
    ['-1', refused('integer', { min: 0, max: 20 })],
    ['三', refused('integer', { min: 0, max: 20 })],
    ['3人3', refused('integer', { min: 0, max: 20 })],
    ['1,20', refused('integer', { min: 0, max: 20 })],
    ['', refused('integer', { min: 0, max: 20 })],
    [null, refused('integer', { min: 0, max: 20 })],
    [true, refused('integer', { min: 0, max: 20 })],
    [Number.NaN, refused('integer', { min: 0, max: 20 })],
  ]
  for (const [cell, read] of rows) t.same(readInteger(cell, 0, 20), read, label(cell))
  t.same(readInteger('1,200', 0, 5000), okay(1200), 'thousands separators in their places')
  t.same(readInteger('１，２００', 0, 5000), okay(1200))
  t.same(readInteger('-2', -5, 5), okay(-2))
  t.same(readInteger('99999999999999999999', 0, Number.MAX_SAFE_INTEGER), refused('integer', { min: 0, max: Number.MAX_SAFE_INTEGER }), 'no silently rounded giant')
  t.equal(translate('zh-CN', 'imports.cells.integer', { min: 1, max: 20 }), '请填 1 到 20 之间的整数。')
})

// ---- Closed lists ----

t.test('readChoice', async (t) => {
  const outcome = { approved: ['批准', '同意', 'approved', '通过'], rejected: ['不予批准', '驳回', 'rejected', '不同意'] } as const
  const rows: [unknown, Read<string | null>][] = [
    ['批准', okay('approved')],
    [' 同 意 ', okay('approved')],
    ['Approved', okay('approved')],
    ['ＡＰＰＲＯＶＥＤ', okay('approved')],
    [{ richText: [{ text: '驳' }, { text: '回' }] }, okay('rejected')],
    [{ formula: 'IF(A1,"通过","驳回")', result: '通过' }, okay('approved')],
    ['不同意', okay('rejected')],
    ['REJECTED ', okay('rejected')],
    ['待定', refused('choice', { options: '批准、不予批准' })],
    ['批', refused('choice', { options: '批准、不予批准' })],
  ]
  for (const [cell, read] of rows) t.same(readChoice(cell, outcome, true), read, label(cell))
  t.same(readChoice('', outcome, true), refused('required'))
  t.same(readChoice(null, outcome, false), okay(null))
  t.same(readChoice({ error: '#N/A' }, outcome, false), okay(null))
  const yesNo = { yes: ['是', 'Y', 'TRUE'], no: ['否', 'N', 'FALSE'] }
  t.same(readChoice(true, yesNo, true), okay('yes'), 'a boolean cell reads as TRUE/FALSE')
  t.same(readChoice(false, yesNo, true), okay('no'))
  t.same(readChoice('y', yesNo, true), okay('yes'))
  t.equal(translate('zh-CN', 'imports.cells.choice', { options: '批准、不予批准' }), '只能填这些之一：批准、不予批准。')
})

// ---- Names from the catalogue ----

const villages = [
  { id: 1, names: ['新华村', '510781101'] },
  { id: 2, names: ['新华社区', '510781102'] },
  { id: 3, names: ['红旗村', '510781103'] },
  { id: 4, names: ['光明村', '510781104'] },
  { id: 5, names: ['青龙湾社区', '510781105'] },
  { id: 6, names: ['石(门)村', '510781106'] },
]
const windows = [
  { id: 11, names: ['民政窗口', '城关镇民政窗口'] },
  { id: 12, names: ['民政窗口', '河西乡民政窗口'] },
  { id: 13, names: ['社保窗口', '城关镇社保窗口'] },
]
const matters = [
  { id: 21, names: ['城乡居民基本养老保险参保登记', 'M01'] },
  { id: 22, names: ['城乡居民基本医疗保险参保登记', 'M02'] },
  { id: 23, names: ['《残疾人证》办理', 'M012'] },
  { id: 24, names: ['高龄津贴申报办理', 'M03'] },
]

t.test('matchName: exact names, codes and the ways people shorten them', async (t) => {
  const rows: [unknown, readonly { id: number; names: readonly string[] }[], Read<number>][] = [
    ['新华村', villages, okay(1)],
    [' 新华村 ', villages, okay(1)],
    ['新 华 村', villages, okay(1)],
    ['新华社区', villages, okay(2)],
    ['510781103', villages, okay(3)],
    [510781103, villages, okay(3)],
    ['５１０７８１１０３', villages, okay(3)],
    ['红旗', villages, okay(3)],
    ['红旗村委会', villages, okay(3)],
    ['红旗村村委会', villages, okay(3)],
    ['光明村民委员会', villages, okay(4)],
    ['城关镇光明村', villages, okay(4)],
    ['青龙湾', villages, okay(5)],
    ['青龙湾居委会', villages, okay(5)],
    ['青龙湾社区居委会', villages, okay(5)],
    ['石门村', villages, okay(6)],
    ['石（门）村', villages, okay(6)],
    [{ richText: [{ text: '红旗' }, { text: '村' }] }, villages, okay(3)],
    ['新华', villages, refused('ambiguous', { value: '新华', options: '新华村、新华社区' })],
    ['新华村委会', villages, okay(1)],
    ['5107811', villages, refused('unknown', { value: '5107811' })],
    ['51078110', villages, refused('unknown', { value: '51078110' })],
    ['东风村', villages, refused('unknown', { value: '东风村' })],
    ['村', villages, refused('unknown', { value: '村' })],
    ['', villages, refused('required')],
    [{ error: '#N/A' }, villages, refused('required')],
    ['城关镇民政窗口', windows, okay(11)],
    ['城关镇 民政 窗口', windows, okay(11)],
    ['河西乡民政', windows, okay(12)],
    ['民政窗口', windows, refused('ambiguous', { value: '民政窗口', options: '民政窗口、民政窗口' })],
    ['社保', windows, okay(13)],
    ['M01', matters, okay(21)],
    ['m01', matters, okay(21)],
    ['Ｍ０１２', matters, okay(23)],
    ['M0', matters, refused('unknown', { value: 'M0' })],
    ['残疾人证办理', matters, okay(23)],
    ['残疾人证', matters, okay(23)],
    ['《残疾人证》', matters, okay(23)],
    ['高龄津贴', matters, okay(24)],
    ['高龄津贴申报', matters, okay(24)],
    ['养老保险参保登记', matters, okay(21)],
    ['参保登记', matters, refused('ambiguous', { value: '参保登记', options: '城乡居民基本养老保险参保登记、城乡居民基本医疗保险参保登记' })],
  ]
  for (const [cell, candidates, read] of rows) t.same(matchName(cell, candidates), read, label(cell))
})

t.test('matchName: an exact name wins over a longer one that contains it; options stop at five', async (t) => {
  const candidates = [
    { id: 1, names: ['新村'] },
    { id: 2, names: ['新村坝村'] },
  ]
  t.same(matchName('新村', candidates), okay(1))
  const many = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, names: [`东${'一二三四五六七八'[i]}村`] }))
  const read = matchName('东', [...many, { id: 99, names: ['东'] }])
  t.same(read, okay(99), 'a single character only ever matches exactly')
  const ambiguous = matchName('东山', Array.from({ length: 8 }, (_, i) => ({ id: i + 1, names: [`东山${i + 1}组`] })))
  t.same(ambiguous, refused('ambiguous', { value: '东山', options: '东山1组、东山2组、东山3组、东山4组、东山5组' }))
  t.same(matchName('新华村', []), refused('unknown', { value: '新华村' }))
  t.equal(
    translate('zh-CN', 'imports.cells.ambiguous', { value: '新华', options: '新华村、新华社区' }),
    '“新华”对应多个：新华村、新华社区，请写全称。',
  )
})

t.test('matchName never returns a candidate unrelated to the input (property)', async (t) => {
  const syllable = fc.constantFrom(...'新华红旗光明石门东山河西城关青龙湾')
  const suffix = fc.constantFrom('', '', '村', '社区', '镇', '乡', '街道', '窗口', '村委会', '居委会', '办理')
  const name = fc.tuple(fc.array(syllable, { minLength: 1, maxLength: 4 }), suffix).map(([s, x]) => s.join('') + x)
  const candidates = fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 30 }), names: fc.array(name, { minLength: 1, maxLength: 2 }) }), {
    selector: (c) => c.id,
    maxLength: 8,
  })
  const typed = fc.oneof(name, name.map((n) => ` ${n.split('').join(' ')} `), name.map((n) => wide(n) + '（）'))
  check(
    t,
    'a returned id names something equal to, inside, or around what was typed',
    fc.property(typed, candidates, (input, list) => {
      const read = matchName(input, list)
      if (!read.ok) return ['imports.cells.unknown', 'imports.cells.ambiguous', 'imports.cells.required'].includes(read.key)
      const key = nameKey(input)
      const stem = nameStem(key)
      const chosen = list.filter((c) => c.id === read.value)
      return (
        chosen.length === 1 &&
        chosen[0].names.some((n) => nameKey(n) === key || nameStem(nameKey(n)) === stem || stemsOverlap(nameStem(nameKey(n)), stem))
      )
    }),
    500,
  )
  check(
    t,
    'the name of a candidate, typed exactly, finds it when no other candidate bears that name',
    fc.property(candidates, fc.nat(), (list, pick) => {
      fc.pre(list.length > 0)
      const target = list[pick % list.length]
      const typedName = target.names[0]
      const shared = list.filter((c) => c.names.some((n) => nameKey(n) === nameKey(typedName)))
      const read = matchName(typedName, list)
      return shared.length === 1 ? read.ok && read.value === target.id : !read.ok && read.key === 'imports.cells.ambiguous'
    }),
    500,
  )
})

t.test('every key the readers give has a message in both languages', async (t) => {
  const keys = ['required', 'tooLong', 'date', 'idAsNumber', 'idFormat', 'idCheck', 'phone', 'integer', 'choice', 'unknown', 'ambiguous']
  for (const key of keys) {
    for (const locale of ['zh-CN', 'en'] as const) t.not(translate(locale, `imports.cells.${key}`), `imports.cells.${key}`, `${locale} ${key}`)
  }
})

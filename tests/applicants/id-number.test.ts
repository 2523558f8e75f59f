import t from 'tap'
import { idCheckChar, normaliseIdNumber } from '../../server/applicants/id-number.ts'
import { maskIdNumber, maskName, maskPhone } from '../../server/privacy/mask.ts'

t.test('GB 11643 check characters', async (t) => {
  // Worked examples: the check character follows from the first 17 digits.
  const rows: [string, string][] = [
    ['11010519491231002', 'X'],
    ['44052418800101001', '4'],
    ['51078119900307123', '2'],
    ['11010119900307001', '1'],
  ]
  for (const [first17, check] of rows) t.equal(idCheckChar(first17), check, first17)
})

t.test('valid and invalid ID numbers', async (t) => {
  t.equal(normaliseIdNumber('11010519491231002X'), '11010519491231002X')
  t.equal(normaliseIdNumber(' 11010519491231002x '), '11010519491231002X', 'lower-case x and spaces are accepted')
  const bad = [
    '110105194912310021', // wrong check digit
    '11010519491331002X', // month 13
    '11010519490230002X', // 30 February
    '1101051949123100', // too short
    '11010520991231002X', // born in the future
    'ABCDEFGHIJKLMNOPQR',
    '',
  ]
  for (const b of bad) t.equal(normaliseIdNumber(b), null, b || '(empty)')
})

t.test('masking names, phones and ID numbers', async (t) => {
  const names: [string, string][] = [
    ['张三', '张*'],
    ['张小三', '张*三'],
    ['王建国强', '王**强'],
    ['欧阳小明', '欧阳*明'],
    ['欧阳明', '欧阳*'],
    ['司马光', '司马*'],
    ['诸葛亮', '诸葛*'],
    ['欧阳', '欧*'],
    ['阿卜杜·热合曼', '阿卜杜·*'],
    ['John Smith', 'J*** S***'],
    ['Li', 'L*'],
    ['', ''],
  ]
  for (const [name, masked] of names) t.equal(maskName(name), masked, name || '(empty)')
  t.equal(maskPhone('13812345678'), '138****5678')
  t.equal(maskPhone('0816-3267166'), '0816-****7166')
  t.equal(maskPhone('08163267166'), '0816-****7166')
  t.equal(maskIdNumber('11010519491231002X'), '110105***********X')
  t.equal(maskIdNumber(null), '')
})

import t from 'tap'
import { hashSecret, secretMatches } from '../../../plugins/webrocket/db.js'
import { TEST_PASSWORD_COST } from '../../helpers/config.js'

// Secrets are scrypt hashes; '' accepts anything (spec §2.2); concurrent checks share one scrypt.

t.test('secretMatches', async (t) => {
  const hash = await hashSecret('s3cret', TEST_PASSWORD_COST)
  t.match(hash, /^scrypt\$1024\$/, 'at the given cost')
  t.equal(await hashSecret('', TEST_PASSWORD_COST), '')
  t.equal(await secretMatches('', 'anything'), true)
  t.equal(await secretMatches('', ''), true)

  const first = secretMatches(hash, 's3cret')
  t.equal(secretMatches(hash, 's3cret'), first, 'a check in progress is shared')
  const wrong = secretMatches(hash, 'nope')
  t.not(wrong, first, 'a different secret is checked on its own')
  t.equal(await first, true)
  t.equal(await wrong, false)
  t.not(secretMatches(hash, 's3cret'), first, 'a settled check is not kept')
  t.equal(await secretMatches(hash, ''), false)
})

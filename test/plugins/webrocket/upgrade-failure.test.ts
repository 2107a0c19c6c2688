import t from 'tap'
import { WebrocketDb } from '../../../plugins/webrocket/db.js'
import { startApp } from '../../helpers/app.js'
import { overrides, upgradeStatus } from './fixture.js'

// §2.2's vhost check runs before the upgrade; a database failing it must answer the upgrade with
// an error, not hang it or take the process down.
t.test('an upgrade whose vhost cannot be looked up is refused with 500', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  const lookup = WebrocketDb.prototype.vhost
  WebrocketDb.prototype.vhost = () => Promise.reject(new Error('database gone'))
  t.teardown(() => { WebrocketDb.prototype.vhost = lookup })
  t.equal(await upgradeStatus(`${wsUrl}/webrocket/not-loaded-yet`), 500)
  WebrocketDb.prototype.vhost = lookup
  t.equal(await upgradeStatus(`${wsUrl}/webrocket/not-loaded-yet`), 404, 'the next upgrade looks it up again')
})

import t from 'tap'
import { accessNode, anonymous, attempt, user } from './fixtures.js'

const ISSUE_RULES = [
  { protocol: 'really', resource: '/notes/*', actions: ['create', 'update', 'delete'], allow: ['authenticated'] },
  { protocol: 'really', resource: '/notes/*', actions: ['update', 'delete'], allow: ['owner', 'role:admin'] },
  { protocol: 'telegraphy', resource: 'ops.*', actions: ['subscribe'], allow: ['role:ops'] },
]

t.test('no rules: every protocol keeps today\'s behaviour (allow), decided at once', async (t) => {
  const { authorizer } = await accessNode(t, {})
  for (const protocol of ['really', 'telegraphy', 'webrocket', 'das', 'syscache'] as const) {
    t.equal(authorizer.restricted(protocol), false, protocol)
    t.equal(authorizer.authorize(attempt(protocol, 'subscribe', 'x', null)), true, `${protocol}: a plain boolean, not a promise`)
  }
})

t.test('first match wins; a matched rule allows exactly its subjects', async (t) => {
  const { authorizer, identity } = await accessNode(t, { rules: ISSUE_RULES })
  await identity.create({ username: 'ops-ann', password: 'pw', roles: ['ops'] })
  await identity.create({ username: 'root', password: 'pw', admin: true })
  const ask = (action: 'create' | 'update' | 'delete' | 'read', principal: Parameters<typeof attempt>[3], owner?: string | null) =>
    authorizer.authorize(attempt('really', action, '/notes/12', principal, owner))

  t.equal(authorizer.restricted('really'), true)
  t.equal(ask('create', anonymous), false, 'anonymous cannot create: rule 1 matches, anonymous is not authenticated')
  t.equal(ask('create', null), false, 'an unauthenticated connection is anonymous')
  t.equal(ask('create', user('bob')), true)
  t.equal(ask('update', user('bob'), 'bob'), true, 'rule 1 matches update first: any user')
  t.equal(ask('read', anonymous), true, 'no rule for read: the default')

  // Reordered: the owner rule first.
  const reordered = await accessNode(t, { rules: [ISSUE_RULES[1], ISSUE_RULES[0]] })
  await reordered.identity.create({ username: 'root', password: 'pw', admin: true })
  const again = (action: 'update' | 'delete' | 'create', principal: Parameters<typeof attempt>[3], owner?: string | null) =>
    reordered.authorizer.authorize(attempt('really', action, '/notes/12/', principal, owner))
  t.equal(again('update', user('bob'), 'bob'), true, 'the owner may update')
  t.equal(again('delete', user('bob'), 'carl'), false, 'a user cannot delete another\'s object')
  t.equal(again('update', anonymous, 'bob'), false, 'an anonymous token cannot update what a user created')
  t.equal(again('update', anonymous, null), false, 'anonymous principals own nothing, even ownerless objects')
  t.equal(again('delete', user('bob'), null), false, 'no owner: the owner subject matches nobody')
  t.equal(again('delete', user('root', { admin: true }), 'carl'), true, 'admin: true gives role:admin')
  t.equal(again('create', user('bob')), true, 'create falls through to rule 2 (now second)')
})

t.test('subjects: anyone, anonymous, authenticated, user:, role:', async (t) => {
  const { authorizer, identity } = await accessNode(t, {
    defaults: { webrocket: 'deny' },
    rules: [
      { protocol: 'webrocket', resource: '/echo/public-*', actions: ['subscribe', 'publish'], allow: ['anyone'] },
      { protocol: 'webrocket', resource: '/echo/lobby', actions: ['subscribe'], allow: ['anonymous'] },
      { protocol: 'webrocket', resource: '/echo/members', actions: ['subscribe'], allow: ['authenticated'] },
      { protocol: 'webrocket', resource: '/echo/joe', actions: ['subscribe'], allow: ['user:joe'] },
      { protocol: 'webrocket', resource: '/echo/staff/**', actions: ['subscribe', 'publish'], allow: ['role:staff', 'role:boss'] },
      { protocol: 'webrocket', resource: '/echo/closed', actions: ['subscribe'], allow: [] },
    ],
  })
  await identity.create({ username: 'sue', password: 'pw', roles: ['staff'] })
  const can = (resource: string, principal: Parameters<typeof attempt>[3], action: 'subscribe' | 'publish' = 'subscribe') =>
    authorizer.authorize(attempt('webrocket', action, resource, principal))
  t.equal(can('/echo/public-1', null), true)
  t.equal(can('/echo/public-1', user('joe'), 'publish'), true)
  t.equal(can('/echo/lobby', anonymous), true)
  t.equal(can('/echo/lobby', user('joe')), false, 'anonymous means not a user')
  t.equal(can('/echo/members', user('joe')), true)
  t.equal(can('/echo/members', anonymous), false)
  t.equal(can('/echo/joe', user('joe')), true)
  t.equal(can('/echo/joe', user('jim')), false)
  t.equal(can('/echo/staff/a/b', user('sue'), 'publish'), true)
  t.equal(can('/echo/staff/a', user('joe')), false)
  t.equal(can('/echo/closed', user('sue')), false, 'allow: [] denies everyone')
  t.equal(can('/echo/elsewhere', user('sue')), false, 'no rule: the deny default')
  t.equal(can('/echo/lobby', anonymous, 'publish'), false, 'rules match their actions only; then the default')
})

t.test('roles come from the user, live: a removed role stops counting at once', async (t) => {
  const { authorizer, identity } = await accessNode(t, { rules: [ISSUE_RULES[2]] })
  const changed: string[] = []
  authorizer.onRolesChanged((username) => changed.push(username))
  const ops = () => authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.alert', user('kim')))
  await identity.create({ username: 'kim', password: 'pw' })
  t.equal(ops(), false)
  await identity.setRoles('kim', ['ops'])
  t.equal(ops(), true)
  t.same(authorizer.rolesOf(user('kim')), ['ops'])
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.alert.high', user('kim'))), true, '* stops at the dot: no rule, the default')
  await identity.setRoles('kim', [])
  t.equal(ops(), false)
  await identity.setRoles('kim', ['ops'])
  await identity.remove('kim')
  t.equal(ops(), false, 'a removed user has no roles')
  t.same(changed, ['kim', 'kim', 'kim', 'kim'])
})

t.test('claims narrow: roles to a subset, channels to their globs', async (t) => {
  const { authorizer, identity } = await accessNode(t, {
    rules: [
      { protocol: 'telegraphy', resource: 'ops.*', actions: ['subscribe'], allow: ['role:ops'] },
      { protocol: 'webrocket', resource: '/echo/**', actions: ['subscribe'], allow: ['role:admin'] },
    ],
  })
  await identity.create({ username: 'ann', password: 'pw', admin: true, roles: ['ops', 'audit'] })
  const ann = (claims: { roles?: string[], channels?: string[] }) => user('ann', { admin: true, ...claims })
  t.same(authorizer.rolesOf(ann({})), ['admin', 'audit', 'ops'])
  t.same(authorizer.rolesOf(ann({ roles: ['ops', 'wizard'] })), ['ops'], 'a claimed role the user lacks does not count')
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.alert', ann({ roles: ['audit'] }))), false, 'ops narrowed away')
  t.equal(authorizer.authorize(attempt('webrocket', 'subscribe', '/echo/x', ann({ roles: ['ops'] }))), false, 'admin narrowed away')
  t.equal(authorizer.authorize(attempt('webrocket', 'subscribe', '/echo/x', ann({ roles: ['admin'] }))), true)

  const narrowed = ann({ channels: ['ops.alert', 'webrocket:/echo/room-*'] })
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.alert', narrowed)), true)
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.other', narrowed)), false, 'the rules allow it; the channels do not')
  t.equal(authorizer.authorize(attempt('webrocket', 'subscribe', '/echo/room-1', narrowed)), true)
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', '/echo/room-1', narrowed)), false, 'a webrocket: glob admits nothing elsewhere')
  t.equal(authorizer.authorize(attempt('das', 'subscribe', 'new_event', narrowed)), false, 'an open protocol is still held to the channels')
  t.equal(authorizer.authorize(attempt('das', 'subscribe', 'new_event', ann({}))), true)
  t.equal(authorizer.authorize(attempt('syscache', 'subscribe', 'sys/x', ann({ channels: [] }))), false, 'an empty channels claim reaches nothing')
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.alert', ann({ channels: ['ops.*'], roles: ['audit'] }))), false, 'both claims hold')
})

t.test('Really R paths match with or without their trailing slash', async (t) => {
  const { authorizer } = await accessNode(t, {
    rules: [{ protocol: 'really', resource: '/users/*/notes/*/', actions: ['read', 'subscribe'], allow: ['authenticated'] }],
  })
  for (const resource of ['/users/1/notes/*', '/users/1/notes/*/', '/users/1/notes/2', '/users/1/notes/2/']) {
    t.equal(authorizer.authorize(attempt('really', 'read', resource, anonymous)), false, resource)
    t.equal(authorizer.authorize(attempt('really', 'read', resource, user('bob'))), true, resource)
  }
})

t.test('decisions repeat: the first-match cache answers as the rules do', async (t) => {
  const { authorizer } = await accessNode(t, {
    defaults: { telegraphy: 'deny' },
    rules: [{ protocol: 'telegraphy', resource: 'public.**', actions: ['subscribe'], allow: ['anyone'] }],
  })
  for (let round = 0; round < 3; round++) {
    t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'public.news', null)), true)
    t.equal(authorizer.authorize(attempt('telegraphy', 'publish', 'public.news', null)), false)
    t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'private.news', user('x'))), false)
  }
})

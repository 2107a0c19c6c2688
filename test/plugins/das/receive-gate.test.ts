import t from 'tap'
import { MAX_DECISIONS, ReceiveGate } from '../../../plugins/das/receive-gate.js'

/** A gate over fixed answers, counting the questions. */
function gate (answers: Record<string, boolean | Promise<boolean>>, otherwise = true) {
  const asked: string[] = []
  const g = new ReceiveGate((resource) => {
    asked.push(resource)
    return answers[resource] ?? otherwise
  })
  return { g, asked }
}

t.test('known answers: the type, then any of the subject groups; each asked once', async (t) => {
  const { g, asked } = gate({ radio_message: false, 'subject_group.rhinos': false, 'subject_group.lions': false })
  t.equal(g.admits('new_event', undefined), true)
  t.equal(g.admits('new_event', []), true, 'no groups: the type decides')
  t.equal(g.admits('radio_message', ['elephants']), false, 'a denied type asks no group')
  t.equal(g.admits('new_event', ['rhinos']), false)
  t.equal(g.admits('new_event', ['rhinos', 'elephants']), true, 'one allowed group is enough')
  t.equal(g.admits('new_event', ['rhinos', 'lions']), false)
  t.same(asked, ['new_event', 'radio_message', 'subject_group.rhinos', 'subject_group.elephants', 'subject_group.lions'], 'remembered')
  g.reset()
  t.equal(g.admits('new_event', undefined), true)
  t.equal(asked.at(-1), 'new_event', 'asked again after a roles change')
})

t.test('answers still coming: a promise that settles once they are kept', async (t) => {
  let answer!: (allowed: boolean) => void
  const { g, asked } = gate({ 'subject_group.herd': new Promise((resolve) => { answer = resolve }) })
  const first = g.admits('update_event', ['herd'])
  const second = g.admits('update_event', ['herd'])
  t.type(first, Promise)
  t.type(second, Promise)
  t.same(asked, ['update_event', 'subject_group.herd'], 'one question in flight')
  const order: string[] = []
  void (first as Promise<void>).then(() => order.push(`first: ${String(g.admits('update_event', ['herd']))}`))
  void (second as Promise<void>).then(() => order.push(`second: ${String(g.admits('update_event', ['herd']))}`))
  answer(false)
  await second
  t.same(order, ['first: false', 'second: false'], 'in order, and the answer is known by then')
  t.equal(g.admits('update_event', ['herd', 'other']), true)

  let allow!: (allowed: boolean) => void
  const pending = gate({ new_event: new Promise((resolve) => { allow = resolve }) }).g
  const waiting = pending.admitsAny(['new_event', 'radio_message'])
  t.equal(await pending.admitsAny(['radio_message']), true)
  const viaType = pending.admits('new_event', undefined)
  allow(true)
  t.equal(await waiting, true)
  await viaType
  t.equal(pending.admits('new_event', undefined), true)
  t.equal(await gate({}, false).g.admitsAny(['a', 'b']), false)
})

t.test('a pending answer replaced by a reset is not kept over the new one', async (t) => {
  let answer!: (allowed: boolean) => void
  const answers: Record<string, boolean | Promise<boolean>> = { t1: new Promise((resolve) => { answer = resolve }) }
  const { g } = gate(answers)
  const waiting = g.admits('t1', undefined) as Promise<void>
  g.reset()
  answers.t1 = false
  t.equal(g.admits('t1', undefined), false)
  answer(true)
  await waiting
  t.equal(g.admits('t1', undefined), false, 'the answer given after the reset stands')
})

t.test('at most MAX_DECISIONS kept: then they are dropped and asked again', async (t) => {
  const { g, asked } = gate({})
  for (let i = 0; i < MAX_DECISIONS - 1; i++) g.admits('new_event', [`g${i}`])
  t.equal(asked.length, MAX_DECISIONS, 'the type and the groups')
  g.admits('new_event', ['g0'])
  t.equal(asked.length, MAX_DECISIONS, 'g0 still known')
  g.admits('new_event', ['one-too-many'])
  g.admits('new_event', ['g0'])
  t.same(asked.slice(-3), ['subject_group.one-too-many', 'new_event', 'subject_group.g0'], 'dropped, asked again')
})

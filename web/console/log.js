// The frame log: every frame in and out, socket events and REST calls, each with its time.

const time = () => new Date().toISOString().slice(11, 23)

/** A log writing into the list element `list`. */
export function frameLog (list) {
  const add = (kind, arrow, text) => {
    const item = document.createElement('li')
    item.className = kind
    const stamp = document.createElement('time')
    stamp.textContent = time()
    const dir = document.createElement('span')
    dir.className = 'dir'
    dir.textContent = arrow
    const body = document.createElement('code')
    body.textContent = text
    item.append(stamp, dir, body)
    list.append(item)
    item.scrollIntoView({ block: 'nearest' })
  }
  return {
    /** A frame the console sent. */
    out: (text) => add('out', '→', text),
    /** A frame the server sent. */
    in: (text) => add('in', '←', text),
    /** Anything else: opened, closed and why, REST calls; `error` marks a failure. */
    note: (text, error = false) => add(error ? 'note error' : 'note', '·', text),
    clear: () => list.replaceChildren(),
  }
}

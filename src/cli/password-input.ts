/** Where a password comes from: piped in, or typed at a terminal. */
export type PasswordSource = NodeJS.ReadableStream & { isTTY?: boolean, setRawMode?: (raw: boolean) => unknown }

/**
 * Reads a password for `user passwd`: the first line of what is piped in (never the command
 * line, which other users of the machine can read in `ps`), or, at a terminal, typed without
 * echo after a prompt on stderr. Ctrl-C or Ctrl-D at the prompt gives up (an empty password).
 */
export async function readPassword (input: PasswordSource, prompt: NodeJS.WritableStream): Promise<string> {
  if (input.isTTY && input.setRawMode) return readTyped(input, prompt)
  let text = ''
  for await (const chunk of input) {
    text += chunk.toString()
    if (text.includes('\n')) break
  }
  return text.split(/\r?\n/)[0]
}

function readTyped (input: PasswordSource, prompt: NodeJS.WritableStream): Promise<string> {
  // Echo off before the prompt shows: whatever is typed once it is visible is never echoed.
  input.setRawMode!(true)
  prompt.write('new password: ')
  input.resume()
  return new Promise((resolve) => {
    let typed = ''
    const done = (value: string) => {
      input.removeListener('data', onData)
      input.setRawMode!(false)
      input.pause()
      prompt.write('\n')
      resolve(value)
    }
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return done(typed)
        if (char === '\u0003' || char === '\u0004') return done('')
        typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char
      }
    }
    input.on('data', onData)
  })
}

/**
 * `switchboard openapi | head -1`: the reader went away, which is how pipelines end. Exit
 * quietly with 0 (as `cat` does) instead of dying on an unhandled EPIPE with a stack trace;
 * any other failure to write is exit code 1.
 */
export function quietOnClosedPipe (stream: NodeJS.WriteStream, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => exit(err.code === 'EPIPE' ? 0 : 1))
}

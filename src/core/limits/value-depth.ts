/**
 * True when a parsed value nests objects/arrays deeper than `max`. For values a library parsed
 * before we saw the text (Socket.IO): walked with an explicit stack, never by recursion, so a
 * value of 100,000 levels is measured without overflowing. Stops at the first level past `max`.
 */
export function valueDepthExceeds (value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (depth > max) return true
    const children = Array.isArray(current) ? current : Object.values(current as object)
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

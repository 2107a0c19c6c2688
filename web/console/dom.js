// Building elements without innerHTML: every piece of data becomes a text node, so nothing a
// client or the server sent can turn into markup.

/** `<tag>` with `props` assigned (className, type, title, …) and `children` (strings become text). */
export function el (tag, props = {}, ...children) {
  const element = Object.assign(document.createElement(tag), props)
  element.append(...children.filter((child) => child !== null && child !== undefined).map((child) => typeof child === 'object' ? child : String(child)))
  return element
}

/** A `<select>`'s options from `[value, label]` pairs. */
export function options (pairs) {
  return pairs.map(([value, label]) => el('option', { value }, label ?? value))
}

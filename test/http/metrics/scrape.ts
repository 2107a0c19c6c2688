import { eventually } from '../../helpers/ws-client.js'

/** One scrape of a metrics route, parsed: sample values by name and labels. */
export class Scrape {
  readonly samples: Array<{ name: string, labels: Record<string, string>, value: number }> = []

  constructor (readonly text: string) {
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (!match) continue
      const labels: Record<string, string> = {}
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
      this.samples.push({ name: match[1]!, labels, value: Number(match[3]) })
    }
  }

  /** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
  value (name: string, labels: Record<string, string> = {}): number {
    let sum = 0
    for (const s of this.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value
    }
    return sum
  }

  /** Whether a sample of `name` exists with these labels. */
  has (name: string, labels: Record<string, string> = {}): boolean {
    return this.samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  }

  /** Every metric name that has a sample (histograms' `_bucket`, `_sum`, `_count` included). */
  names (): Set<string> {
    return new Set(this.samples.map((s) => s.name))
  }
}

export async function scrape (base: string, path = '/metrics'): Promise<Scrape> {
  const response = await fetch(base + path, { signal: AbortSignal.timeout(5000) })
  if (response.status !== 200) throw new Error(`scrape: ${response.status}`)
  return new Scrape(await response.text())
}

/** Scrapes until `predicate` holds (figures that follow a socket's close); bounded. */
export async function scrapeUntil (base: string, predicate: (s: Scrape) => boolean, what: string): Promise<Scrape> {
  let last: Scrape | undefined
  await eventually(async () => predicate(last = await scrape(base)), 2000, what)
  return last!
}

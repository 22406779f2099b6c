import {distance} from 'fastest-levenshtein'

/** The candidate closest to what was typed, when it is close enough to be what was meant. */
export function closestName(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = distance(input, candidate)
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined
}

/** `unknown flag --dryrun: did you mean --dry-run?`, one per unknown flag, from the command's flags. */
export function unknownFlags(typed: string[], flags: Record<string, {char?: string; hidden?: boolean}>): string {
  const names = Object.entries(flags)
    .filter(([, flag]) => !flag.hidden)
    .flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])])
  return typed
    .map((flag) => {
      const bare = flag.split('=')[0]!
      // One letter is one edit from every other: no guess for a short flag.
      const near = /^-[^-]$/.test(bare) ? undefined : closestName(bare, names)
      return `unknown flag ${bare}${near ? `: did you mean ${near}?` : ''}`
    })
    .join('; ')
}

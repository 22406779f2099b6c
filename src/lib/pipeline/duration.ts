const UNIT_MS = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000} as const

/** `30s`, `15m`, `24h`, `2d`, `1h30m` in milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (!/^(?:\d+[smhd])+$/.test(trimmed)) return undefined
  let ms = 0
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g))
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return ms
}

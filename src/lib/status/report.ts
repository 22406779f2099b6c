import type {ChalkInstance} from 'chalk'

import type {GroupStatus} from './groups.js'
import type {CheckpointStatus, TableStatus} from './tables.js'

export interface StatusReport {
  at: string
  groups: GroupStatus[]
  tables: TableStatus[]
  checkpoints: CheckpointStatus[]
}

/** `fa status` for people: per group its state, members and lag per partition; tables; checkpoints. */
export function renderStatus(r: StatusReport, c: ChalkInstance): string {
  const out: string[] = [c.dim(`as of ${r.at}`)]
  for (const g of r.groups) {
    const last = `, ${lastCommit(g)}`
    const perTopic = Object.entries(g.topics).map(([topic, lag]) => `${topic} ${lag}`)
    const lag = `lag ${g.lag}${perTopic.length > 1 ? ` (${perTopic.join(', ')})` : ''}`
    out.push('', c.bold(`group ${g.group} (${g.role}): ${g.state}, ${g.members.length} member(s), ${lag}${last}`))
    for (const m of g.members)
      out.push(`  member ${m.clientId}@${m.host}  ${m.assigned.join(' ') || '(nothing assigned)'}`)
    out.push(
      ...table(
        ['topic', 'partition', 'committed', 'end', 'lag', 'member'],
        g.partitions.map((p) => [
          p.topic,
          String(p.partition),
          p.committed < 0 ? '-' : String(p.committed),
          String(p.end),
          String(p.lag),
          p.member ?? '-',
        ]),
        c,
      ),
    )
  }
  out.push('', c.bold('tables (rows at the end offsets)'))
  out.push(
    ...table(
      ['table', 'topic', 'rows'],
      r.tables.map((t) => [t.table, t.topic, String(t.rows)]),
      c,
    ),
  )
  out.push('', c.bold('producer checkpoints'))
  out.push(
    ...table(
      ['producer', 'until', 'committed at'],
      r.checkpoints.map((p) => [p.producer, p.error ? c.red(p.error) : (p.until ?? 'none yet'), p.committedAt ?? '-']),
      c,
    ),
  )
  return out.join('\n') + '\n'
}

/** When the group last committed, as its commit metadata tells; else whether it ever did. */
function lastCommit(g: GroupStatus): string {
  if (g.lastCommitAt) return `last commit ${g.lastCommitAt}`
  return g.partitions.some((p) => p.committed >= 0)
    ? 'last commit time unknown (none in its commit metadata)'
    : 'no commits yet'
}

function table(header: string[], rows: string[][], c: ChalkInstance): string[] {
  if (rows.length === 0) return ['  (none)']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    '  ' +
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [c.dim(line(header)), ...rows.map(line)]
}

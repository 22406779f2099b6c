import {describe, expect, it} from 'vitest'

import {Summary} from '../../../src/lib/pipeline/summary.js'
import {reportPage, type ReportEntry} from '../../../src/lib/report/page.js'

const message = {
  alertId: 'fa-1',
  channel: 'U1',
  text: 'hello',
  blocks: [{type: 'header', text: {type: 'plain_text', text: 'Hello'}}],
}
const entry = (fate: string, revision?: number): ReportEntry => ({
  file: 'f.jsonl',
  line: revision === undefined ? 1 : 2,
  topic: 'events',
  key: 'k',
  pipeline: 'alarm',
  fate,
  recipient: 'U1',
  alertId: 'fa-1',
  output: {topic: 'slack-messages', key: 'fa-1', value: revision === undefined ? message : {...message, revision}},
})

describe('the HTML report page', () => {
  it("names each message's alert type, source and alert id on one clean line", () => {
    const summary = new Summary()
    summary.add([{kind: 'alert', pipeline: 'alarm', alertId: 'fa-1', output: {} as never, incident: true}])
    const html = reportPage({files: ['f.jsonl'], entries: [entry('alerted')], summary, warnings: []})
    const meta = html.match(/<div class="meta">(.*?)<\/div>/s)![1]!
    expect(meta).toBe('<b>alarm</b> · f.jsonl:1 · <code>fa-1</code>')
  })

  it("counts incidents, updates and resolutions in its summary, as the terminal's does", () => {
    const summary = new Summary()
    summary.add([{kind: 'alert', pipeline: 'alarm', alertId: 'fa-1', output: {} as never, incident: true}])
    summary.add([
      {kind: 'update', pipeline: 'alarm', alertId: 'fa-1', revision: 1, resolved: true, output: {} as never},
    ])
    const html = reportPage({
      files: ['f.jsonl'],
      entries: [entry('alerted'), entry('resolved', 1)],
      summary,
      warnings: [],
    })
    expect(html).toContain(
      '<p class="summary">2 records · 1 alert · 1 incident opened · 1 update · 1 resolved · 0 dead letters</p>',
    )
    expect(html).toContain('<th>incidents</th><th>updates</th><th>resolved</th>')
  })
})

// The --html report in a real browser: Debian's Chromium, driven by playwright-core (which never downloads one).
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {chromium, type BrowserContext} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {root, runFa} from '../support/cli.js'

const fixture = path.join(root, 'fixtures/provisioning.jsonl')
const artifacts = path.join(root, 'test-results')
const dir = mkdtempSync(path.join(tmpdir(), 'fa-report-'))
const report = path.join(dir, 'report.html')
let context: BrowserContext

beforeAll(async () => {
  const {code} = await runFa(['replay', fixture, '--dry-run', '--html', report])
  expect(code).toBe(0)
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], {encoding: 'utf8'}).trim()
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath,
    headless: true,
    viewport: {width: 1000, height: 1400},
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
})

afterAll(async () => {
  await context?.close()
  rmSync(dir, {recursive: true, force: true})
})

describe('fa replay --dry-run --html, in Chromium', () => {
  it('renders each alert as Slack shows Block Kit, escaped text literally, and fetches nothing', async () => {
    const page = await context.newPage()
    const requests: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    await page.goto(pathToFileURL(report).href)
    expect(requests).toEqual([pathToFileURL(report).href])

    const messages = page.locator('article.message')
    // 7 alerts, then the incidents' 3 updates, one of them the resolution, each labelled so.
    await expect(messages.count()).resolves.toBe(10)
    await expect(page.locator('article.message .kind', {hasText: 'updated'}).count()).resolves.toBe(2)
    await expect(page.locator('article.message .kind', {hasText: 'resolved'}).count()).resolves.toBe(1)
    const first = messages.first()
    await expect(first.locator('.header').innerText()).resolves.toBe(
      'Connector failed to provision: orders-postgres-cdc',
    )
    await expect(first.locator('.mrkdwn b').first().innerText()).resolves.toBe('orders-postgres-cdc')

    // Fields side by side: the first two on one row, the third below the first.
    const boxes = await Promise.all([0, 1, 2].map((i) => first.locator('.field').nth(i).boundingBox()))
    expect(boxes[0]!.y).toBe(boxes[1]!.y)
    expect(boxes[1]!.x).toBeGreaterThan(boxes[0]!.x + boxes[0]!.width)
    expect(boxes[2]!.x).toBe(boxes[0]!.x)
    expect(boxes[2]!.y).toBeGreaterThan(boxes[0]!.y)

    // The escaped injection is shown as the literal text, never as a mention or a link.
    const globex = messages.filter({hasText: 'Globex Retail'}).first()
    await expect(globex.locator('.header').innerText()).resolves.toBe(
      'Connector failed to provision: <!channel> <https://evil.example|click me> & co',
    )
    await expect(globex.locator('.mrkdwn').first().innerText()).resolves.toContain(
      '<!channel> <https://evil.example|click me> & co',
    )
    await expect(globex.locator('.mention').count()).resolves.toBe(0)
    await expect(page.locator('a[href^="https://evil"]').count()).resolves.toBe(0)

    // Grouped by recipient, with the fallback text and a Block Kit Builder link each.
    await expect(page.locator('section.recipient h3').allInnerTexts()).resolves.toEqual([
      '→ U01JANEDOE 6 messages',
      '→ U02RAJPATEL 2 messages',
      '→ U03LIWEI 2 messages',
    ])
    await expect(first.locator('.fallback').innerText()).resolves.toMatch(
      /^Notification text Connector orders-postgres-cdc/,
    )
    const link = await first.locator('a.builder').getAttribute('href')
    expect(JSON.parse(decodeURIComponent(link!.split('#')[1]!)).blocks[0].type).toBe('header')

    await expect(page.locator('#dead-letters').innerText()).resolves.toBe('Dead letters (5)')
    await expect(page.locator('#drops').innerText()).resolves.toBe('Dropped (5)') // 1 filtered, 2 unassigned, 1 no-slack-user, 1 no-open-incident

    mkdirSync(artifacts, {recursive: true})
    await page.screenshot({path: path.join(artifacts, 'replay-report.png'), fullPage: true})
    expect(readFileSync(path.join(artifacts, 'replay-report.png')).length).toBeGreaterThan(10_000)
  })
})

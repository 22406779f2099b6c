/** The Slack test server's conversations.history: one page of a conversation, newest first, as Slack pages it. */

export type Params = Record<string, unknown>
export type StoredMessage = Record<string, unknown> & {ts: string}

const flag = (value: unknown) => value === true || value === 'true' || value === '1'

/** The response body for `params` over a conversation's messages (oldest first). */
export function historyPage(messages: StoredMessage[], params: Params): Record<string, unknown> {
  const withMetadata = flag(params.include_all_metadata)
  const inclusive = flag(params.inclusive)
  const oldest = params.oldest === undefined ? 0 : Number(params.oldest)
  const cursor =
    typeof params.cursor === 'string' && params.cursor ? Buffer.from(params.cursor, 'base64').toString() : ''
  // A cursor carries the ts the next (older) page starts below; else `latest`, else now.
  const latest = cursor.startsWith('next_ts:')
    ? Number(cursor.slice(8))
    : params.latest === undefined
      ? Infinity
      : Number(params.latest)
  const limit = Math.min(999, Math.max(1, Number(params.limit ?? 100)))
  const inRange = messages
    .filter((m) => {
      const ts = Number(m.ts)
      return (inclusive ? ts >= oldest : ts > oldest) && (inclusive && !cursor ? ts <= latest : ts < latest)
    })
    .reverse()
  const page = inRange.slice(0, limit).map(({metadata, ...m}) => (withMetadata && metadata ? {...m, metadata} : m))
  const hasMore = inRange.length > limit
  const body: Record<string, unknown> = {ok: true, messages: page, has_more: hasMore, pin_count: 0}
  if (hasMore) body.response_metadata = {next_cursor: Buffer.from(`next_ts:${page.at(-1)!.ts}`).toString('base64')}
  return body
}

// Writes a realistic fixture: tables first, then events of every kind (alert, filtered,
// unassigned, no Slack user, malformed), so a benchmark exercises the whole core.
import {createWriteStream} from 'node:fs'
import {once} from 'node:events'

// `provisioningPer10`: how many of every 10 events are provisioning failures (the rest are filtered).
export async function generateFixture(file, {events = 200_000, orgs = 1_000, provisioningPer10 = 8} = {}) {
  const out = createWriteStream(file)
  const write = async (record) => {
    if (!out.write(JSON.stringify(record) + '\n')) await once(out, 'drain')
  }
  for (let i = 0; i < orgs; i++) {
    const email = `csdr${i % 200}@example.com`
    if (i % 10 !== 9)
      await write({
        topic: 'data-csdr-assignment',
        key: `org-${i}`,
        value: {orgId: `org-${i}`, orgName: `Org ${i} Inc.`, csdrEmail: email, csdrName: `CSDR ${i % 200}`},
      })
  }
  for (let i = 0; i < 190; i++) {
    await write({
      topic: 'data-slack-users',
      key: `csdr${i}@example.com`,
      value: {email: `csdr${i}@example.com`, slackUserId: `U${String(i).padStart(8, '0')}`, displayName: `CSDR ${i}`},
    })
  }
  for (let i = 0; i < events; i++) {
    const org = `org-${i % orgs}`
    const value = eventValue(i, org, provisioningPer10)
    await write({
      topic: 'data-notifications-pipeline',
      key: org,
      value: i % 1000 === 7 ? '{oops' : value,
      timestamp: '2026-11-24T10:00:00Z',
    })
  }
  out.end()
  await once(out, 'finish')
}

/** The value of generated event `i` of org `orgId`: a provisioning failure for `provisioningPer10` in 10. */
export function eventValue(i, orgId, provisioningPer10) {
  return {
    eventId: `evt-${i}`,
    orgId,
    connectorId: `lcc-${i}`,
    connectorName: `connector-${i % 97} <prod> & co`,
    connectorType: 'PostgresCdcSource',
    clusterId: 'lkc-q8m2p',
    environmentId: 'env-3n5v1',
    oldStatus: i % 10 < provisioningPer10 ? 'Provisioning' : 'Running',
    newStatus: 'Failed',
    errorMessage: 'Unable to connect to database host db.internal:5432: connection timed out.',
    occurredAt: '2026-11-24T10:00:00Z',
  }
}

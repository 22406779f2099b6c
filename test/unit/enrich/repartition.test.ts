import type {IHeaders, KafkaMessage, Message} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {RepartitionPlan, repartitionMessage, sourceMessage} from '../../../src/lib/enrich/repartition.js'
import {FaError} from '../../../src/lib/errors.js'
import {repartitionTopic} from '../../../src/lib/kafka/repartition-topics.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'

const read = (m: Partial<KafkaMessage>): KafkaMessage =>
  ({key: null, value: null, headers: {}, timestamp: '1764583200000', offset: '0', attributes: 0, ...m}) as KafkaMessage

/** What a consumer reads back of a produced message: header values as bytes, repeated ones as arrays. */
const wire = (m: Message, offset: string): KafkaMessage => {
  const headers: IHeaders = {}
  for (const [name, value] of Object.entries(m.headers ?? {}))
    headers[name] = Array.isArray(value) ? value.map((v) => Buffer.from(v)) : Buffer.from(value!)
  return read({key: Buffer.from(m.key as string), value: m.value as Buffer, headers, timestamp: m.timestamp, offset})
}

describe('repartitioned records', () => {
  it('carry the source record back byte for byte: key, value, headers (a name fa also uses too), timestamp, position', () => {
    const source = read({
      key: Buffer.from([0, 0xff, 0x10]),
      value: Buffer.from([1, 2, 3]),
      headers: {
        trace: Buffer.from('t1'),
        twice: [Buffer.from('a'), Buffer.from('b')],
        'fa-repartition-origin': Buffer.from('theirs'),
      },
      timestamp: '1764583200123',
      offset: '41',
    })
    const out = repartitionMessage(source, 4, 'lcc-1')
    expect(out.key).toBe('lcc-1')
    expect(out.timestamp).toBe('1764583200123')
    const back = sourceMessage(wire(out, '7'))
    expect(back).toMatchObject({partition: 4})
    const {message} = back as {message: KafkaMessage}
    expect(message.key).toEqual(source.key)
    expect(message.value).toEqual(source.value)
    expect(message.offset).toBe('41')
    expect(message.timestamp).toBe('1764583200123')
    expect(message.headers).toEqual(source.headers)
  })

  it('keep a null key null and an empty key empty', () => {
    const unkeyed = sourceMessage(wire(repartitionMessage(read({offset: '3'}), 0, 'k'), '0'))
    expect((unkeyed as {message: KafkaMessage}).message.key).toBeNull()
    expect((unkeyed as {message: KafkaMessage}).message.headers).toEqual({})
    const empty = sourceMessage(wire(repartitionMessage(read({key: Buffer.alloc(0)}), 0, 'k'), '0'))
    expect((empty as {message: KafkaMessage}).message.key).toEqual(Buffer.alloc(0))
  })

  it('say why a record is not one fa repartitioned', () => {
    expect(sourceMessage(read({key: Buffer.from('k')}))).toEqual({
      error: "no fa-repartition-origin header of fa's: not a record fa repartitioned",
    })
    expect(sourceMessage(read({headers: {'fa-repartition-origin': Buffer.from('2@9')}}))).toEqual({
      error: 'no fa-repartition-key header: not a record fa repartitioned',
    })
  })

  it('go to one topic per stateful alert type of the group, named after both', () => {
    const plan = new RepartitionPlan(new Topology([...builtInAlerts], defaultTopics, buildSlackMessage), 'fa-enrich')
    expect(plan.topics).toEqual([
      {topic: 'fa-enrich-connector-provisioning-failed-repartition', source: defaultTopics.notifications},
      {topic: 'fa-enrich-cluster-created-repartition', source: defaultTopics.clusters},
    ])
    expect(plan.alertFor('fa-enrich-cluster-created-repartition')?.name).toBe('cluster-created')
    expect(plan.alertFor(defaultTopics.notifications)).toBeUndefined()
    expect(() => repartitionTopic('team a', 'x')).toThrow(FaError)
    expect(() => repartitionTopic('team a', 'x')).toThrow(/"team a-x-repartition" is not a valid Kafka topic name/)
  })
})

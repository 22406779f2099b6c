import type {Kafka} from 'kafkajs'

/**
 * A kafkajs cluster made through the Kafka object's private factory (kafkajs is pinned, see
 * patches/), for what its public clients do not offer; undefined where the factory is not there.
 */
export function internalCluster<T>(kafka: Kafka, options: object = {}): T | undefined {
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')
  return factory ? (kafka as unknown as Record<symbol, (o: object) => T>)[factory]!(options) : undefined
}

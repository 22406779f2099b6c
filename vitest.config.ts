import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts a real Kafka broker unless KAFKA_BROKERS is set (see test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Forks, not threads: kafkajs keeps sockets and timers that are cleaner to drop with a process.
    pool: 'forks',
    // 2 cores, shared with the broker's JVM.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
})

import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    // Forks, not threads: kafkajs keeps sockets and timers that are cleaner to drop with a process.
    pool: 'forks',
    // 2 cores, shared with the broker's JVM.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    globalSetup: ['test/temp-dir.ts'],
    projects: [
      // Pure code and local test servers, straight from the TS sources: no build, no broker, no Java.
      {extends: true, test: {name: 'unit', include: ['test/unit/**/*.test.ts']}},
      {
        extends: true,
        test: {
          name: 'kafka',
          // test/cli runs the built CLI and bundle: `npm test` and `npm run test:kafka` build first.
          include: ['test/kafka/**/*.test.ts', 'test/cli/**/*.test.ts'],
          // Starts a real Kafka broker unless KAFKA_BROKERS is set (see test/global-setup.ts).
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Two test files at once on two cores: the files wait on child processes, servers and timers
    // as much as they compute (measured: the unit files in 689 s two at a time, about 930 s one at a time).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each e2e file starts its own server and browser: two at once is what two cores carry.
          maxWorkers: 1,
        },
      },
    ],
  },
})

// One vitest run over every package; tests live beside the code and end-to-end tests in test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,coordinator,client-sdk,simulations,protos}/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser and end-to-end polls wait for pages and rounds: on 2 loaded cores 1 s (the default) is too tight.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.reports/vitest.json' },
  },
});

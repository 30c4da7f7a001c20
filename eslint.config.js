// Lint rules for the whole workspace, including the layering of DESIGN.md as import bans.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const transportAndStorage = ['@grpc/*', '@prisma/*', 'pg', '@libsql/*', 'fastify', '@tensorflow/*', 'onnxruntime-node', 'pino'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/generated/**', '.reports/**', 'protos/generated/**', '**/.scratch/**', '.consort/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    // The dashboard's pages run in the browser: plain ES modules served as they are, no bundler.
    files: ['coordinator/src/http/dashboard/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(['window', 'document', 'location', 'sessionStorage', 'fetch', 'Node', 'URLSearchParams', 'TextDecoder',
        'AbortController', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'console'].map((name) => [name, 'readonly'])),
    },
  },
  {
    // core is pure: no I/O, no network, no database, no training framework.
    files: ['core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:child_process', 'fs', 'net', 'http']
          .map((name) => ({ name, message: 'core has no I/O (DESIGN.md layering)' })),
        patterns: [
          { group: transportAndStorage, message: 'core never imports transport, storage or training frameworks' },
          { group: ['@consort/coordinator', '@consort/client-sdk', '@consort/simulations'], message: 'core imports nothing above it' },
        ],
      }],
    },
  },
  {
    // Secure aggregation never knows about training or transport.
    files: ['core/src/secagg/**/*.ts', 'client-sdk/src/secagg/**/*.ts', 'coordinator/src/secagg/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: [...transportAndStorage, '**/train/**', '**/transport/**'], message: 'crypto never knows about training or transport' }],
      }],
    },
  },
  {
    files: ['coordinator/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@consort/client-sdk', '@consort/simulations', '@tensorflow/*'], message: 'coordinator depends on core and protos only' }],
      }],
    },
  },
  {
    files: ['client-sdk/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@consort/coordinator', '@consort/simulations', '@prisma/*'], message: 'client-sdk depends on core and protos only' }],
      }],
    },
  },
);

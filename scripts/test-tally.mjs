#!/usr/bin/env node
// Prints "N passed, N failed" from vitest's JSON report, so a run that executed no test shows.
import { existsSync, readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.reports/vitest.json';
if (!existsSync(path)) {
  console.log('0 passed, 0 failed');
  console.error(`no vitest report at ${path}: the checks before the tests failed, or vitest did not run`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
const passed = report.numPassedTests ?? 0;
// A test file that failed to load has no test results of its own: count it as one failure.
const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

// Public surface of @consort/core: pure logic shared by the coordinator and the members.
export * from './errors/consort-error.ts';

// The SHA-256 a model version is stored and verified under (float32 little-endian bytes): core's, the one members check.
export { weightsSha256Hex as weightsSha256 } from '@consort/core';

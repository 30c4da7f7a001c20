// Modular word addition with WebAssembly SIMD: target[i] ±= source[i] over Z_(2^32) or Z_(2^64) lanes.
//
// Why hand-written: masking adds k + 1 pseudorandom streams of d elements per member, and the
// coordinator adds n masked vectors; in JavaScript a 64-bit lane needs a carry per element
// (~6 ns), while i64x2.add does the carry in hardware, two lanes per instruction. No maintained
// npm package offers modular vector addition over 2^32 / 2^64; the module below is four loops of
// a dozen instructions, encoded directly so that nothing is compiled at install time. Tests check
// it against the scalar path on random vectors (core/src/secagg/mod-vector.test.ts).

/** Bytes of source copied into the module's memory per kernel call. */
export const KERNEL_CHUNK_BYTES = 1 << 16;

/** LEB128 of a non-negative integer (opcode immediates above 127). */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Body of fn(dst, src, bytes): for (i = 0; i < bytes; i += 16) v128[dst+i] = op(v128[dst+i], v128[src+i]). */
function loopBody(simdOp: number): number[] {
  const get = (i: number) => [0x20, i];
  const addr = (base: number) => [...get(base), ...get(3), 0x6a]; // base + i
  const load = [0xfd, 0x00, 0x04, 0x00]; // v128.load align=16 offset=0
  const store = [0xfd, 0x0b, 0x04, 0x00]; // v128.store
  const code = [
    0x01, 0x01, 0x7f, // one local: i32 i
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(3), ...get(2), 0x4f, 0x0d, 0x01, // if (i >= bytes) break
    ...addr(0), ...addr(0), ...load, ...addr(1), ...load, 0xfd, ...leb(simdOp), ...store,
    ...get(3), 0x41, 0x10, 0x6a, 0x21, 0x03, // i += 16
    0x0c, 0x00, // continue
    0x0b, 0x0b, 0x0b, // end loop, end block, end function
  ];
  return [...leb(code.length), ...code];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

function name(s: string): number[] {
  return [s.length, ...[...s].map((c) => c.charCodeAt(0))];
}

// SIMD opcodes (WebAssembly 2.0): i32x4.add 174, i32x4.sub 177, i64x2.add 206, i64x2.sub 209.
const KERNELS = [
  ['add32', 174],
  ['sub32', 177],
  ['add64', 206],
  ['sub64', 209],
] as const;

function moduleBytes(): Uint8Array {
  const pages = KERNEL_CHUNK_BYTES / 65536;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]), // type 0: (i32, i32, i32) -> ()
    ...section(3, [KERNELS.length, ...KERNELS.map(() => 0x00)]),
    ...section(5, [0x01, 0x00, ...leb(pages)]), // one growable memory: [0, chunk) source chunk, then the accumulated vector
    ...section(7, [
      KERNELS.length + 1,
      ...name('memory'), 0x02, 0x00,
      ...KERNELS.flatMap(([n], i) => [...name(n), 0x00, i]),
    ]),
    ...section(10, [KERNELS.length, ...KERNELS.flatMap(([, op]) => loopBody(op))]),
  ];
  return new Uint8Array(bytes);
}

type Kernel = (dst: number, src: number, bytes: number) => void;

/** The part of the WebAssembly global used here (the project's TS lib has no DOM typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Kernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  source: Uint32Array;
  run: Record<(typeof KERNELS)[number][0], Kernel>;
}

let kernels: Kernels | null | undefined;

/** The instantiated kernels, or null where WebAssembly SIMD is unavailable (the scalar path serves). */
function load(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()));
    const memory = instance.exports.memory as Kernels['memory'];
    const run = Object.fromEntries(KERNELS.map(([n]) => [n, instance.exports[n] as Kernel])) as Kernels['run'];
    kernels = { memory, source: new Uint32Array(0), run };
    refreshViews(kernels);
  } catch {
    kernels = null;
  }
  return kernels;
}

/** (Re)creates the chunk view: growing a WebAssembly memory detaches the old ArrayBuffer. */
function refreshViews(k: Kernels): void {
  k.source = new Uint32Array(k.memory.buffer, 0, KERNEL_CHUNK_BYTES / 4);
}

/** Byte offset of the accumulator region (after the source chunk). */
const ACCUMULATOR_AT = KERNEL_CHUNK_BYTES;

/**
 * Adds one or many streams into a vector with a single copy in and out: the vector lives in the
 * module's memory while `fill` feeds it chunks (each copied in once). Falls back to `scalar`
 * without WebAssembly SIMD. Synchronous, so the one shared module memory is never used by two
 * calls at once.
 */
export function accumulateSimd(
  target: Uint32Array,
  bits: 32 | 64,
  fill: (add: (chunk: Uint32Array, targetOffset: number, sign: 1 | -1) => void) => void,
  /** Scalar dest[offset + i] ±= chunk[i] (mod-vector's addWordsScalar). */
  scalar: (dest: Uint32Array, chunk: Uint32Array, targetOffset: number, sign: 1 | -1) => void,
): void {
  const k = load();
  if (!k) {
    fill((chunk, targetOffset, sign) => scalar(target, chunk, targetOffset, sign));
    return;
  }
  const needed = ACCUMULATOR_AT + target.byteLength;
  if (k.memory.buffer.byteLength < needed) {
    k.memory.grow(Math.ceil((needed - k.memory.buffer.byteLength) / 65536));
    refreshViews(k);
  }
  const acc = new Uint32Array(k.memory.buffer, ACCUMULATOR_AT, target.length);
  acc.set(target);
  const ops = { 1: k.run[`add${bits}`], [-1]: k.run[`sub${bits}`] } as Record<1 | -1, Kernel>;
  const chunkWords = KERNEL_CHUNK_BYTES / 4;
  fill((chunk, targetOffset, sign) => {
    for (let start = 0; start < chunk.length; start += chunkWords) {
      const part = chunk.subarray(start, Math.min(chunk.length, start + chunkWords));
      const whole = part.length - (part.length % 4);
      k.source.set(part.subarray(0, whole));
      ops[sign](ACCUMULATOR_AT + (targetOffset + start) * 4, 0, whole * 4);
      // A tail of < 4 words (only at the very end of a vector) takes the scalar path, in place.
      if (whole < part.length) scalar(acc, part.subarray(whole), targetOffset + start + whole, sign);
    }
  });
  target.set(acc);
}

/** True when the SIMD kernels are in use (reported by benchmarks). */
export function simdAvailable(): boolean {
  return load() !== null;
}

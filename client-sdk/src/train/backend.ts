// TensorFlow.js backend selection: tfjs-node-gpu, tfjs-node, WASM, CPU, tried in that order at run time.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConsortError } from '@consort/core';

/** The TensorFlow.js namespace (every backend package re-exports the same API). */
export type Tf = typeof import('@tensorflow/tfjs');

/** Names a member can ask for (CONSORT_TF_BACKEND or `prefer`). */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The chosen backend and the tf namespace to use with it. */
export interface Backend {
  name: BackendName;
  tf: Tf;
}

/** Environment variable that forces one backend (fails clearly when it cannot load). */
export const BACKEND_ENV_VAR = 'CONSORT_TF_BACKEND';

const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const cache = new Map<string, Promise<Backend>>();
// Both native packages register the backend name 'tensorflow': once one is imported, the other never is.
let nativeImported: BackendName | null = null;

/**
 * Selects and initialises a backend, trying `prefer` in order (default: tensorflow-gpu,
 * tensorflow, wasm, cpu) or only CONSORT_TF_BACKEND when set. A member who installs
 * @tensorflow/tfjs-node-gpu gets it automatically. Logs the choice and why others were skipped
 * through `log`. Cached per preference list. Throws ConsortError(INVALID_ARGUMENT) when a
 * forced backend or every preferred one is unavailable.
 */
export function selectBackend(prefer?: string[], log: (message: string) => void = () => {}): Promise<Backend> {
  const forced = process.env[BACKEND_ENV_VAR]?.trim();
  const order = forced ? [forced] : (prefer && prefer.length > 0 ? prefer : [...BACKEND_NAMES]);
  for (const name of order) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      const source = forced ? `${BACKEND_ENV_VAR}=${name}` : `backend "${name}"`;
      return Promise.reject(new ConsortError('INVALID_ARGUMENT', `${source} is not a TensorFlow.js backend; use one of ${BACKEND_NAMES.join(', ')}`, { backend: name }));
    }
  }
  const key = order.join(',');
  let pending = cache.get(key);
  if (!pending) {
    pending = trySelect(order as BackendName[], forced !== undefined && forced !== '', log);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function trySelect(order: BackendName[], forced: boolean, log: (message: string) => void): Promise<Backend> {
  const failures: string[] = [];
  for (const name of order) {
    try {
      const backend = await load(name);
      log(`TensorFlow.js backend: ${name}${failures.length ? ` (skipped ${failures.join('; ')})` : ''}`);
      return backend;
    } catch (err) {
      failures.push(`${name}: ${firstLine(err)}`);
    }
  }
  const hint = forced
    ? `unset ${BACKEND_ENV_VAR} or set it to one of ${BACKEND_NAMES.join(', ')} that is installed`
    : 'install @tensorflow/tfjs (cpu) at least';
  throw new ConsortError('INVALID_ARGUMENT',
    `no TensorFlow.js backend could be loaded (${failures.join('; ')}); ${hint}${order.some((n) => NATIVE_PACKAGES[n]) ? ` — native backends need their package, e.g. npm i ${NATIVE_PACKAGES[order[0]] ?? '@tensorflow/tfjs-node'}` : ''}`,
    { tried: order, failures });
}

async function load(name: BackendName): Promise<Backend> {
  const pkg = NATIVE_PACKAGES[name];
  if (pkg) {
    if (nativeImported && nativeImported !== name) throw new Error(`${NATIVE_PACKAGES[nativeImported]} is already loaded and both register "tensorflow"`);
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const tf = (await import(/* @vite-ignore */ pkg)) as Tf;
    nativeImported = name;
    return activate(tf, 'tensorflow', name);
  }
  const tf = await import('@tensorflow/tfjs');
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries are read from disk: point at the package's own dist folder.
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
  }
  return activate(tf, name, name);
}

async function activate(tf: Tf, tfName: string, name: BackendName): Promise<Backend> {
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
  await tf.ready();
  if (tf.getBackend() !== tfName) throw new Error(`tf.getBackend() is ${tf.getBackend()} after selecting ${tfName}`);
  return { name, tf };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 200);
}

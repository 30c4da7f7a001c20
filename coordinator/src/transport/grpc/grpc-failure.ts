// The one translation of errors for every gRPC service: the catalogued code and public message
// on the wire, the detail only in the log. Refused calls are logged (sampled, so a flood of bogus
// requests cannot flood the log): an attack leaves a trace.
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toGrpcError } from '../../errors/error-catalog.ts';

/** At most `limit` refusal lines per kind in each `windowMs`; the rest are counted and summarised. */
export class LogSampler {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(private readonly limit = 20, private readonly windowMs = 10_000, private readonly now: () => number = Date.now) {}

  /** True when this line may be logged; `flushed` is called with what the last window suppressed. */
  admit(kind: string, flushed: (suppressed: number) => void): boolean {
    const t = this.now();
    let w = this.windows.get(kind);
    if (!w || t - w.start >= this.windowMs) {
      if (w && w.suppressed > 0) flushed(w.suppressed);
      w = { start: t, logged: 0, suppressed: 0 };
      this.windows.set(kind, w);
    }
    if (w.logged < this.limit) { w.logged++; return true; }
    w.suppressed++;
    return false;
  }
}

const AUTH_STATUSES = new Set<number>([status.UNAUTHENTICATED, status.PERMISSION_DENIED]);

/** Builds the `fail(err, where, call)` of a service: translate once, log by kind, return the gRPC error. */
export function grpcFailure(logger: Logger, service: string): (err: unknown, where: string, call?: { getPeer(): string }) => grpc.ServiceError {
  const sampler = new LogSampler();
  return (err, where, call) => {
    const e = toGrpcError(err);
    const code = e.details.split(':')[0];
    let peer = 'unknown';
    try { peer = call?.getPeer() ?? 'unknown'; } catch { /* the call may be gone */ }
    if (e.code === status.INTERNAL) {
      logger.error({ err, service, where, peer }, 'unexpected error');
    } else if (sampler.admit(`${where}:${code}`, (n) => logger.warn({ service, where, code, suppressed: n }, 'refused requests not logged one by one'))) {
      // Failed authentication is a warning (someone may be probing); other refusals are routine.
      const fields = { service, where, code, peer };
      if (AUTH_STATUSES.has(e.code)) logger.warn(fields, 'request refused: authentication failed');
      else logger.info(fields, 'request refused');
    }
    return Object.assign(new Error(e.details), { code: e.code, details: e.details, metadata: undefined as never });
  };
}

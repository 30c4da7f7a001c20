// Which members are connected right now, and the event stream to reach each of them.
import { EventEmitter } from 'node:events';

/** The part of a server stream the registry needs: write an event, end the stream (with an error status when given). */
export interface EventSink<E> {
  write(event: E): boolean;
  end(): void;
  fail?(reason: Error): void;
}

interface Connection<E> {
  federationId: string;
  backend: string;
  sink: EventSink<E>;
  connectedAt: number;
}

/**
 * Registry of live member streams. A member has at most one: a new Connect replaces the old
 * stream (e.g. an agent restarted, or reconnected after a network loss, before the old socket
 * timed out). The replaced stream counts as going offline: the agent abandoned the rounds it was
 * serving on it, so they must not wait for it until their deadline.
 */
export class MemberConnections<E> extends EventEmitter<{ online: [string]; offline: [string] }> {
  private readonly connections = new Map<string, Connection<E>>();
  /** When each member's stream last ended in this process (the store keeps only when it connected). */
  private readonly leftAt = new Map<string, Date>();

  private left(memberId: string): void {
    this.leftAt.set(memberId, new Date());
    this.emit('offline', memberId);
  }

  attach(memberId: string, federationId: string, backend: string, sink: EventSink<E>): void {
    const previous = this.connections.get(memberId);
    if (previous) {
      this.connections.delete(memberId);
      previous.sink.end();
      this.left(memberId);
    }
    this.connections.set(memberId, { federationId, backend, sink, connectedAt: Date.now() });
    this.emit('online', memberId);
  }

  /** Removes the member's stream if it is still this sink (a replaced stream is ignored). */
  detach(memberId: string, sink: EventSink<E>): void {
    const current = this.connections.get(memberId);
    if (current?.sink !== sink) return;
    this.connections.delete(memberId);
    this.left(memberId);
  }

  /** Closes the member's stream with `reason` (e.g. MEMBER_REVOKED); true when it was connected. */
  disconnect(memberId: string, reason: Error): boolean {
    const c = this.connections.get(memberId);
    if (!c) return false;
    this.connections.delete(memberId);
    if (c.sink.fail) c.sink.fail(reason);
    else c.sink.end();
    this.left(memberId);
    return true;
  }

  isOnline(memberId: string): boolean {
    return this.connections.has(memberId);
  }

  /** Now for a connected member, when its stream ended for one that left since this process started, else undefined. */
  lastSeen(memberId: string, now: Date = new Date()): Date | undefined {
    return this.connections.has(memberId) ? now : this.leftAt.get(memberId);
  }

  backendOf(memberId: string): string | undefined {
    return this.connections.get(memberId)?.backend;
  }

  online(federationId: string): string[] {
    return [...this.connections.entries()].filter(([, c]) => c.federationId === federationId).map(([id]) => id).sort();
  }

  /** Sends an event; false when the member is not connected. */
  send(memberId: string, event: E): boolean {
    const c = this.connections.get(memberId);
    if (!c) return false;
    c.sink.write(event);
    return true;
  }

  closeAll(): void {
    for (const [id, c] of this.connections) {
      this.connections.delete(id);
      c.sink.end();
    }
  }
}

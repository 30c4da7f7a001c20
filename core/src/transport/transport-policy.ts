// Fail-closed transport: off loopback, coordinator and agent speak TLS unless told --insecure.

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts served or reached without TLS by default. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host part of "host:port", "[v6]:port", "dns:///host:port" or a bare host. */
export function hostOfAddress(address: string): string {
  const a = address.trim().replace(/^dns:\/\/[^/]*\//, '');
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (v6) return v6[1];
  if ((a.match(/:/g) ?? []).length > 1) return a; // a bare IPv6 address
  return a.replace(/:\d+$/, '');
}

export interface TransportCheck {
  /** "listen on 0.0.0.0:50051", "reach coord.example:50051"… (what would go in clear). */
  action: string;
  host: string;
  tls: boolean;
  insecure: boolean;
  /** The options that give TLS, for the message: "--tls-cert/--tls-key", "--tls-ca or CONSORT_TLS_CA". */
  tlsWay: string;
}

/**
 * The refusal for plain TCP beyond loopback, or undefined when the transport is acceptable.
 * Returned (not thrown) so that core stays free of the error class's callers' concerns.
 */
export function insecureTransportRefusal(c: TransportCheck): { code: 'INSECURE_TRANSPORT'; message: string } | undefined {
  if (c.tls || c.insecure || isLoopbackHost(c.host)) return undefined;
  return {
    code: 'INSECURE_TRANSPORT',
    message: `refusing to ${c.action} without TLS: tokens, signatures and models would travel in clear. `
      + `Give ${c.tlsWay} (a development CA: consort-coordinator dev-ca --out <dir> --host <name>), `
      + 'or pass --insecure to accept plain TCP on a network you trust',
  };
}

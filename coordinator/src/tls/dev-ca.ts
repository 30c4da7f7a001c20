// A development certificate authority: one CA and a server certificate for the coordinator's
// host names, so that a trial federation runs over TLS from the first day.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { ConsortError } from '@consort/core';

export interface DevCaFiles {
  /** The CA certificate members trust (CONSORT_TLS_CA / --tls-ca). */
  caCert: string;
  /** The CA's private key: keep it offline; it can sign a certificate for any host. */
  caKey: string;
  /** The coordinator's certificate (--tls-cert) and key (--tls-key). */
  serverCert: string;
  serverKey: string;
}

/** Loopback names are always in the certificate: the operator port listens there. */
const ALWAYS = ['localhost', '127.0.0.1', '::1'];

function rsaKeys(): forge.pki.rsa.KeyPair {
  // node:crypto makes the key (native, fast); node-forge only signs the certificates.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function certificate(subject: string, publicKey: forge.pki.PublicKey, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the high bit cleared.
  cert.serialNumber = `0${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subject }, { name: 'organizationName', value: 'Consort development CA' }]);
  return cert;
}

/**
 * Writes ca.pem, ca-key.pem, server.pem and server-key.pem (mode 600) into `outDir` for the given
 * host names and IP addresses. Refuses to overwrite an existing CA.
 */
export function createDevCa(outDir: string, hosts: string[]): DevCaFiles {
  const dir = resolve(outDir);
  const files: DevCaFiles = { caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server-key.pem') };
  const taken = Object.values(files).filter((f) => existsSync(f));
  if (taken.length > 0) {
    throw new ConsortError('INVALID_ARGUMENT', `${taken.join(', ')} already exist: a CA is there already; choose another --out (members trust the existing ca.pem)`, { out: dir });
  }
  const names = [...new Set([...hosts.map((h) => h.trim()).filter(Boolean), ...ALWAYS])];
  const bad = names.find((h) => !isIP(h) && !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(h));
  if (bad !== undefined) throw new ConsortError('INVALID_ARGUMENT', `--host "${bad}" is neither a host name nor an IP address`, { option: '--host' });

  const caKeys = rsaKeys();
  const ca = certificate('Consort development CA', caKeys.publicKey, 5);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = rsaKeys();
  const server = certificate(names[0], serverKeys.publicKey, 1);
  server.setIssuer(ca.subject.attributes);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Owner-only, keys and certificates alike; `wx` so that a file appearing meanwhile is not replaced.
  const write = (path: string, text: string) => writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  write(files.caKey, forge.pki.privateKeyToPem(caKeys.privateKey));
  write(files.caCert, forge.pki.certificateToPem(ca));
  write(files.serverKey, forge.pki.privateKeyToPem(serverKeys.privateKey));
  write(files.serverCert, forge.pki.certificateToPem(server));
  return files;
}

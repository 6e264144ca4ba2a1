import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Endpoint } from './endpoint';

/**
 * Starts a TLS client handshake with the endpoint's origin: on a socket
 * already open to it (a CONNECT tunnel), or over a new TCP or Unix socket.
 * The caller listens for `secureConnect` and `error`.
 *
 * - Verification is Node's (certificate chain, then host name) unless the
 *   caller set `rejectUnauthorized: false`.
 * - SNI is the origin's host unless it is an IP address (RFC 6066 §3 allows
 *   no literal addresses), or the caller's `servername`.
 * - ALPN offers `http/1.1` only, so a server that also speaks h2 answers in
 *   HTTP/1.1 (RFC 7301).
 * - The last session is offered again, so a reconnect resumes it instead of
 *   a full handshake (RFC 8446 §2.2).
 *
 * @example
 * const socket = startTls(endpoint, null);
 * socket.once('secureConnect', () => use(socket));
 */
export function startTls(endpoint: Endpoint, over: net.Socket | null): tls.TLSSocket {
  const settings = endpoint.tls ?? {};
  const options: tls.ConnectionOptions = {
    ...settings,
    // Node checks the certificate against `servername`, else `host`.
    host: endpoint.hostname,
    servername: settings.servername ?? (net.isIP(endpoint.hostname) === 0 ? endpoint.hostname : undefined),
    ALPNProtocols: ['http/1.1'],
    session: endpoint.sessions.get(),
  };
  if (over !== null) options.socket = over;
  else if (endpoint.socketPath !== null) options.path = endpoint.socketPath;
  else options.port = endpoint.port;
  const socket = tls.connect(options);
  socket.on('session', (session: Buffer) => endpoint.sessions.set(session));
  return socket;
}

/** OpenSSL's verification codes, in words (the code stays in the message and on `cause`). */
const VERIFY_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed and not trusted (pass the certificate or its CA in tls.ca)',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in a CA that is not trusted (pass that CA in tls.ca)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is signed by a CA that is not trusted (pass that CA in tls.ca)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is signed by a CA that is not trusted (pass that CA in tls.ca)',
  UNABLE_TO_GET_ISSUER_CERT: 'its certificate is signed by a CA that is not trusted (pass that CA in tls.ca)',
  CERT_REVOKED: 'its certificate has been revoked',
  CERT_SIGNATURE_FAILURE: 'its certificate signature is invalid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is for another host name',
};

/**
 * Why a TLS handshake failed, in words, for a ConnectError's message. The
 * most common mistakes get a hint: an untrusted CA, a host-name mismatch, a
 * plain-HTTP server on the TLS port, a server that wants a client
 * certificate.
 */
export function describeTlsFailure(err: NodeJS.ErrnoException & { reason?: string }): string {
  const code = err.code ?? '';
  const known = VERIFY_REASONS[code];
  if (known !== undefined) return `${known} (${code}${code === 'ERR_TLS_CERT_ALTNAME_INVALID' && err.reason ? `: ${err.reason}` : ''})`;
  const message = err.message ?? String(err);
  // A plain-HTTP server answers the ClientHello with an HTTP error, which
  // OpenSSL reads as a record with a wrong version or length.
  if (/wrong version number|packet length too long|http request|unknown protocol/i.test(message)) {
    return `the server did not answer in TLS: is it a plain-HTTP port? (${code || message})`;
  }
  if (code === 'ECONNRESET' || /socket disconnected before secure TLS connection/i.test(message)) {
    return `the server reset the connection during the TLS handshake (${code || 'ECONNRESET'})`;
  }
  if (/certificate required|alert handshake failure|alert bad certificate/i.test(message)) {
    return `the server refused the handshake; it may require a client certificate (tls.cert and tls.key) (${code || message})`;
  }
  if (/protocol version|no protocols available|unsupported protocol/i.test(message)) {
    return `no TLS version both sides accept (see tls.minVersion) (${code || message})`;
  }
  return `the TLS handshake failed: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`;
}

import net from 'node:net';

// 127.0.0.0/8 and ::1. BlockList also matches the IPv4-mapped forms of 127/8
// (`::ffff:127.0.0.1`, and `::ffff:7f00:1`, which is how URL spells it) and any
// spelling of ::1 (`0:0:0:0:0:0:0:1`).
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * True for a bind host or URL host only this machine can reach: 127.0.0.0/8, ::1
 * (with or without brackets), their IPv4-mapped forms, and `localhost`. Anything else —
 * `0.0.0.0`, `::`, another address, any other name — is reachable from the network (a
 * name is not resolved: what it resolves to can change after the check).
 */
export function isLoopback(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === 'localhost.') return true;
  if (net.isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (net.isIPv6(h)) return LOOPBACK.check(h, 'ipv6');
  return false;
}

/** True when a URL's host is loopback (see {@link isLoopback}); false for a URL that does not parse. */
export function isLoopbackUrl(url: string | URL): boolean {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return false;
  }
  return isLoopback(u.hostname);
}

import { describe, expect, test } from 'vitest';
import { isLoopback, isLoopbackUrl } from './loopback.js';

describe('isLoopback', () => {
  test('127.0.0.0/8, ::1 in any spelling, their IPv4-mapped forms and localhost are loopback', () => {
    const hosts = ['127.0.0.1', '127.8.0.1', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST', 'localhost.', '::ffff:127.0.0.1', '[::ffff:7f00:1]'];
    expect(hosts.filter((h) => !isLoopback(h))).toEqual([]);
  });

  test('every other address or name is not', () => {
    const hosts = ['0.0.0.0', '::', '10.0.0.5', '128.0.0.1', '126.255.255.255', '192.168.1.2', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', '::ffff:10.0.0.1', '::2', ''];
    expect(hosts.filter((h) => isLoopback(h))).toEqual([]);
  });

  test('URL hosts, including the forms URL normalizes to', () => {
    const yes = ['http://127.0.0.1:4870/x', 'http://[::1]:1/', 'http://localhost/', 'http://[::ffff:127.0.0.1]/', 'http://127.1/', 'https://LocalHost:8443'];
    const no = ['http://10.0.0.1/', 'https://api.github.com', 'http://[::]/', 'not a url', 'http://127.0.0.1.example.com/'];
    expect([yes.filter((u) => !isLoopbackUrl(u)), no.filter((u) => isLoopbackUrl(u))]).toEqual([[], []]);
  });
});

// Which Host headers the endpoint accepts (DNS rebinding): the rules of
// request-guard.ts on every shape of Host a client can send.
import { hostname } from 'node:os';
import { describe, expect, test } from 'vitest';
import { hostAllowed, hostOf } from '../../src/server/request-guard.js';

describe('hostOf', () => {
  test.each([
    ['127.0.0.1:5985', '127.0.0.1'],
    ['LOCALHOST', 'localhost'],
    ['[::1]:5985', '::1'],
    ['[::1]', '::1'],
    ['winrm.test:80', 'winrm.test'],
  ])('%s → %s', (h, want) => expect(hostOf(h)).toBe(want));
});

describe('hostAllowed', () => {
  const loop = { bound: '127.0.0.1', allowedHosts: ['winrm.test'] };
  test.each([
    ['127.0.0.1:1234', true],
    ['localhost:1', true],
    ['app.localhost', true],
    ['127.0.0.2', true],
    ['[::1]:5985', true],
    ['WINRM.test:5985', true],
    ['attacker.example', false],
    ['winrm.test.attacker.example', false],
    ['10.0.0.5', false],
    ['', false],
  ])('bound to 127.0.0.1: %s → %s', (h, ok) => expect(hostAllowed(h, loop)).toBe(ok));

  test('bound to [::1]: its address and localhost; not a name', () => {
    const r = { bound: '[::1]', allowedHosts: [] };
    expect([hostAllowed('[::1]:1', r), hostAllowed('localhost', r), hostAllowed('evil.example', r)]).toEqual([true, true, false]);
  });

  test('bound to a wildcard: any IP literal, localhost and this machine\'s name; not another name', () => {
    const r = { bound: '0.0.0.0', allowedHosts: [] };
    expect([hostAllowed('192.0.2.7:5985', r), hostAllowed('localhost', r), hostAllowed(hostname(), r), hostAllowed('evil.example', r)]).toEqual([true, true, true, false]);
  });

  test('bound to a specific non-loopback address: that address and configured names only', () => {
    const r = { bound: '192.0.2.1', allowedHosts: ['ci-host'] };
    expect([hostAllowed('192.0.2.1:5985', r), hostAllowed('ci-host', r), hostAllowed('localhost', r), hostAllowed('192.0.2.2', r)]).toEqual([true, true, false, false]);
  });

  test('no Host (HTTP/1.0) is accepted: browsers always send one', () => {
    expect(hostAllowed(undefined, loop)).toBe(true);
  });
});

import { describe, expect, test } from 'vitest';
import { bypassesProxy, parseEndpoint, parseProxy, resolveProxy } from '../../../src/transport/http/endpoint.js';
import { CookieJar } from '../../../src/transport/http/cookies.js';

describe('NO_PROXY', () => {
  const ep = (s: string) => parseEndpoint(s);
  test.each([
    ['http://win.corp.example', 'corp.example', true],
    ['http://win.corp.example', '.corp.example', true],
    ['http://win.corp.example', '*.corp.example', true],
    ['http://corp.example', '.corp.example', true],
    ['http://notcorp.example', 'corp.example', false],
    ['http://win.corp.example', 'other.example', false],
    ['http://10.1.2.3', '10.1.2.3', true],
    ['http://host:5985', 'host:5986', false],
    ['http://host:5985', 'host:5985', true],
    ['http://anything', '*', true],
    ['http://[::1]:5985', '::1', true],
  ])('%s with NO_PROXY=%s → bypass %s', (url, noProxy, want) => {
    expect(bypassesProxy(ep(url), noProxy)).toBe(want);
  });

  test('lower-case variables are honoured; explicit false wins', () => {
    const e = ep('https://h');
    expect(resolveProxy(e, undefined, { https_proxy: 'http://p:3128' })?.display).toBe('p:3128');
    expect(resolveProxy(e, false, { https_proxy: 'http://p:3128' })).toBeUndefined();
    expect(resolveProxy(e, undefined, { https_proxy: 'http://p:3128', no_proxy: 'h' })).toBeUndefined();
  });

  test('proxy credentials become Proxy-Authorization and are not echoed in errors', () => {
    const p = parseProxy('http://bob:pa%3Ass@proxy:8080');
    expect(p.authorization).toBe(`Basic ${Buffer.from('bob:pa:ss').toString('base64')}`);
    expect(p.display).toBe('proxy:8080');
    expect(() => parseProxy('http://bob:topsecret@[bad')).toThrow(/^invalid proxy URL$/);
  });
});

describe('CookieJar', () => {
  test('stores, replaces, expires by Max-Age and Expires', () => {
    let now = 1_000_000;
    const jar = new CookieJar(() => now);
    jar.store(['a=1', 'b=2; Max-Age=10', 'c=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(jar.header()).toBe('a=1; b=2');
    jar.store('a=9; Path=/');
    expect(jar.header()).toBe('a=9; b=2');
    now += 11_000;
    expect(jar.header()).toBe('a=9');
    jar.store('a=; Max-Age=0');
    expect(jar.header()).toBeUndefined();
    jar.store(['=novalue', 'junk']);
    expect(jar.size).toBe(0);
  });
});

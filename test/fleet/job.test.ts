// What crosses the queue is untrusted: jobs and queue URLs are checked field by
// field, with typed errors naming what is wrong; credentials are refused.
import { expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseFleetJob, redisOptions } from '../../src/fleet/index.js';

test('parseFleetJob: host, script, configuration; nothing else, never a credential', () => {
  expect(parseFleetJob({ host: 'win01', script: 'hostname', configurationName: 'JEA.Ops', extra: 1 }, 'j1')).toEqual({ host: 'win01', script: 'hostname', configurationName: 'JEA.Ops' });
  expect(() => parseFleetJob(null, 'j1')).toThrow(/job j1: its data is not an object/);
  expect(() => parseFleetJob({ host: '', script: 'x' }, 'j2')).toThrow(/job j2: host must be/);
  expect(() => parseFleetJob({ host: 'h', script: 7 }, 'j3')).toThrow(/job j3: script must be/);
  expect(() => parseFleetJob({ host: 'h', script: 'x'.repeat(1024 * 1024 + 1) }, 'j4')).toThrow(UsageError);
  expect(() => parseFleetJob({ host: 'h', script: 'x', configurationName: 'a b' }, 'j5')).toThrow(/configurationName/);
  expect(() => parseFleetJob({ host: 'h', script: 'x', password: 'p' }, 'j6')).toThrow(/credentials never travel through the queue/);
});

test('redisOptions: redis://HOST:PORT/N, the password only from PSREMOTE_REDIS_PASSWORD', () => {
  expect(redisOptions('redis://10.0.0.5:6380/3', {})).toEqual({ host: '10.0.0.5', port: 6380, db: 3, maxRetriesPerRequest: null });
  expect(redisOptions('rediss://ops@[::1]/0', { PSREMOTE_REDIS_PASSWORD: 's3' })).toEqual({ host: '::1', port: 6379, db: 0, username: 'ops', password: 's3', tls: {}, maxRetriesPerRequest: null });
  expect(() => redisOptions('redis://u:pw@h:1/0', {})).toThrow(/PSREMOTE_REDIS_PASSWORD, not in the URL/);
  expect(() => redisOptions('http://h/0', {})).toThrow(/redis:\/\/ or rediss:\/\//);
  expect(() => redisOptions('redis://h/x', {})).toThrow(/database "x" is not a number/);
  expect(() => redisOptions('nope', {})).toThrow(UsageError);
});

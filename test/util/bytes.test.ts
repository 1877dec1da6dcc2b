import { describe, expect, test } from 'vitest';
import { ByteReader, ByteWriter, bytesEqual, bytesToHex, concatBytes, hexToBytes } from '../../src/util/bytes.js';
import { PsRemoteError } from '../../src/errors.js';
import { AuthProtocolError } from '../../src/auth/errors.js';

describe('ByteReader', () => {
  test('reads big- and little-endian integers', () => {
    const b = Buffer.from('01' + '0203' + '04030201' + '0102030405060708' + '0807060504030201' + 'ffffffff', 'hex');
    const r = new ByteReader(new Uint8Array(b));
    expect(r.u8()).toBe(1);
    expect(r.u16be()).toBe(0x0203);
    expect(r.u32le()).toBe(0x01020304);
    expect(r.u64be()).toBe(0x0102030405060708n);
    expect(r.u64le()).toBe(0x0102030405060708n);
    expect(r.i32le()).toBe(-1);
    expect(r.atEnd).toBe(true);
  });

  test('reads at a non-zero byteOffset of the underlying buffer', () => {
    const whole = new Uint8Array([9, 9, 0, 0, 0, 5, 7]);
    const r = new ByteReader(whole.subarray(2, 6));
    expect(r.u32be()).toBe(5);
    expect(r.remaining).toBe(0);
  });

  test('reading past the end throws a typed error naming the field and does not move', () => {
    const r = new ByteReader(new Uint8Array([1, 2, 3]), { where: 'test blob' });
    expect(() => r.u32le('BlobLength')).toThrowError(/BlobLength needs 4 bytes at offset 0 but only 3 remain \(at test blob\)/);
    try {
      r.u64be();
    } catch (e) {
      expect(e).toBeInstanceOf(PsRemoteError);
      expect((e as PsRemoteError).code).toBe('PSR_DATA_TRUNCATED');
    }
    expect(r.offset).toBe(0);
    expect(r.bytesView(3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => r.u8()).toThrow(PsRemoteError);
  });

  test('custom error code and negative lengths', () => {
    const r = new ByteReader(new Uint8Array(2), { code: 'PSR_KRB_FILE_INVALID', where: 'f' });
    expect(() => r.bytesView(-1)).toThrowError(expect.objectContaining({ code: 'PSR_KRB_FILE_INVALID', where: 'f' }));
    expect(() => r.skip(3)).toThrowError(expect.objectContaining({ code: 'PSR_KRB_FILE_INVALID' }));
  });

  test('a layer with its own error class builds the error (auth: AuthProtocolError)', () => {
    const r = new ByteReader(new Uint8Array(2), { where: 'w', fail: (m, w) => new AuthProtocolError(m, w) });
    expect(() => r.skip(3)).toThrowError(AuthProtocolError);
    expect(() => r.skip(3)).toThrowError(expect.objectContaining({ code: 'PSR_AUTH_INVALID', where: 'w', message: 'padding needs 3 bytes at offset 0 but only 2 remain (at w)' }));
  });

  test('rest returns a view of the remainder', () => {
    const r = new ByteReader(new Uint8Array([1, 2, 3, 4]));
    r.skip(1);
    expect(Array.from(r.rest())).toEqual([2, 3, 4]);
    expect(r.atEnd).toBe(true);
  });
});

describe('ByteWriter', () => {
  test('writes and grows past its initial capacity', () => {
    const w = new ByteWriter(1);
    for (let i = 0; i < 100; i++) w.u32be(i);
    const out = w.finish();
    expect(out.byteLength).toBe(400);
    expect(Buffer.from(out).readUInt32BE(396)).toBe(99);
  });

  test('matches an independent encoding', () => {
    const w = new ByteWriter();
    w.u8(1).u16le(0x0203).u32le(0x04050607).u64be(0x0102030405060708n).u64le(1n).i64le(-1n).bytes(new Uint8Array([0xaa])).zeros(2);
    expect(bytesToHex(w.finish())).toBe(
      '01' + '0302' + '07060504' + '0102030405060708' + '0100000000000000' + 'ffffffffffffffff' + 'aa' + '0000',
    );
  });

  test('reserve and patch a header', () => {
    const w = new ByteWriter();
    const at = w.reserve(4);
    w.bytes(new Uint8Array([1, 2, 3]));
    w.patchU32be(at, 3);
    expect(bytesToHex(w.finish())).toBe('00000003010203');
  });
});

test('helpers', () => {
  expect(concatBytes([new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3])])).toEqual(new Uint8Array([1, 2, 3]));
  expect(hexToBytes('00ff')).toEqual(new Uint8Array([0, 255]));
  expect(() => hexToBytes('0')).toThrow(PsRemoteError);
  expect(bytesEqual(new Uint8Array([1]), new Uint8Array([1]))).toBe(true);
  expect(bytesEqual(new Uint8Array([1]), new Uint8Array([2]))).toBe(false);
});

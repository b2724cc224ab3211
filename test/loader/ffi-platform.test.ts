import { describe, it, expect, vi, afterEach } from 'vitest';
import { isUnsupportedPlatformError } from '../../src/errors.js';

const realPlatform = process.platform;
afterEach(() => {
  Object.defineProperty(process, 'platform', { value: realPlatform });
  vi.resetModules();
});

describe('the loader on an unsupported platform', () => {
  it('throws UnsupportedPlatformError from loader calls while the DSL keeps working', async () => {
    vi.resetModules();
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    const ffi = await import('../../src/loader/ffi.js');
    const { createMap } = await import('../../src/maps/create.js');
    const { resolveMapSpec } = await import('../../src/maps/spec.js');
    const asm = await import('../../src/asm/index.js');
    expect(ffi.nativeAvailable()).toBe(false);
    let err: unknown;
    try {
      ffi.bpfRawCall(0, 0, 0);
    } catch (e) {
      err = e;
    }
    expect(isUnsupportedPlatformError(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/needs Linux .* not darwin/);
    // Spec validation is pure and still works; creating the map is what needs the kernel.
    expect(resolveMapSpec({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 }).type).toBe(1);
    let err2: unknown;
    try {
      createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
    } catch (e) {
      err2 = e;
    }
    expect(isUnsupportedPlatformError(err2)).toBe(true);
    expect(Object.keys(asm).length).toBeGreaterThan(0);
  });
});

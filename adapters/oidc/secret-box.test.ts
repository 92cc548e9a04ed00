// Client secrets sealed with AES-256-GCM: they open with the same key and tenant only, and tampering is detected.
import fc from 'fast-check';
import { createSecretBox } from './secret-box';

const box = createSecretBox('k'.repeat(32));

it('round-trips any text, never containing it in clear, with a fresh IV each time', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 300 }), (secret) => {
      const sealed = box.seal(secret, 'tenant-a');
      expect(box.open(sealed, 'tenant-a')).toBe(secret);
      if (secret.length >= 8) expect(sealed.includes(Buffer.from(secret, 'utf8'))).toBe(false);
      expect(box.seal(secret, 'tenant-a').equals(sealed)).toBe(false);
    }),
  );
});

it("does not open under another tenant's id, another key, or with a flipped bit", () => {
  const sealed = box.seal('s3cret-value', 'tenant-a');
  expect(() => box.open(sealed, 'tenant-b')).toThrow();
  expect(() => createSecretBox('x'.repeat(32)).open(sealed, 'tenant-a')).toThrow();
  for (let i = 0; i < sealed.length; i++) {
    const t = Buffer.from(sealed);
    t[i] = t[i]! ^ 1;
    expect(() => box.open(t, 'tenant-a')).toThrow();
  }
});

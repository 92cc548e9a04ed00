// The OIDC client secrets at rest (docs/security.md#single-sign-on): AES-256-GCM under a key from SSO_SECRET_KEY (or,
// in AWS, the Secrets Manager secret SSO_SECRET_KEY_ARN). A secret must be sent to the issuer, so it cannot be hashed;
// a copy of the table without the key opens nothing, and the tenant id is the additional data, so a ciphertext moved
// to another tenant's row does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  seal(plain: string, tenantId: string): Buffer;
  open(sealed: Buffer, tenantId: string): string;
}

/** The box for a configured key text (at least 32 characters; the AES key is its SHA-256). */
export function createSecretBox(keyText: string): SecretBox {
  const key = createHash('sha256').update(`customersignal/sso-secret/v1\u0000${keyText}`, 'utf8').digest();
  return {
    seal(plain, tenantId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(tenantId, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed, tenantId) {
      if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION)
        throw new Error('sealed SSO secret has an unknown format');
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(tenantId, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

import { createHash, createHmac, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode } from '../../engine/node.js';
import { credentialRef, required, type CredentialSecret } from '../services.js';
import { outputOptions, withResult } from './output.js';

/** The secret string of a credential usable as an HMAC key. */
function hmacKey(secret: CredentialSecret): string {
  switch (secret.type) {
    case 'apiKey':
      return secret.key;
    case 'bearer':
      return secret.token;
    case 'header':
      return secret.value;
    case 'basicAuth':
      return secret.password;
    case 'smtp':
      throw new StepFailure('An SMTP credential cannot be an HMAC key', 'config', 'config.credentialId');
    default:
      throw new StepFailure(
        `A ${secret.type} credential cannot be an HMAC key`,
        'config',
        'config.credentialId',
      );
  }
}

export const cryptoNode = defineNode({
  type: 'data.crypto',
  family: 'data',
  title: 'Crypto',
  description: 'Hashes text (SHA-256, SHA-512, MD5), signs it with HMAC, or makes a UUID.',
  docs:
    'HMAC takes its key from a workspace credential (an API key, token, header value or password), so the ' +
    'key never appears in the workflow. MD5 is for checksums and legacy APIs only, not for security.',
  icon: 'hash',
  config: z
    .object({
      operation: z.enum(['hash', 'hmac', 'uuid']),
      value: z.string().max(10_000_000).optional().describe('The text to hash or sign'),
      algorithm: z.enum(['sha256', 'sha512', 'md5']).default('sha256'),
      encoding: z.enum(['hex', 'base64', 'base64url']).default('hex'),
      credentialId: credentialRef(
        ['apiKey', 'bearer', 'header', 'basicAuth'],
        'hmac: the credential holding the key',
      ).optional(),
      ...outputOptions('result'),
    })
    .refine((config) => config.operation === 'uuid' || config.value !== undefined, {
      message: 'hash and hmac need a value',
      path: ['value'],
    })
    .refine((config) => config.operation !== 'hmac' || config.credentialId !== undefined, {
      message: 'hmac needs a credential',
      path: ['credentialId'],
    })
    .refine((config) => config.operation !== 'hmac' || config.algorithm !== 'md5', {
      message: 'HMAC uses sha256 or sha512',
      path: ['algorithm'],
    }),
  run: async (ctx, input) => {
    const { operation, value = '', algorithm, encoding, credentialId } = ctx.config;
    switch (operation) {
      case 'uuid':
        return withResult(input, ctx.config, randomUUID());
      case 'hash':
        return withResult(input, ctx.config, createHash(algorithm).update(value, 'utf8').digest(encoding));
      case 'hmac': {
        let key: string;
        try {
          key = hmacKey(
            (
              await required(ctx.services.credentials, 'credentials').resolve(
                ctx.run.workspaceId,
                credentialId!,
              )
            ).secret,
          );
        } catch (error) {
          if (error instanceof StepFailure) throw error;
          throw new StepFailure((error as Error).message, 'credential', 'config.credentialId');
        }
        return withResult(
          input,
          ctx.config,
          createHmac(algorithm, key).update(value, 'utf8').digest(encoding),
        );
      }
    }
  },
});

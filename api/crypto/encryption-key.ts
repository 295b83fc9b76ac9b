import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The key secrets are encrypted under: `REVFLOW_ENCRYPTION_KEY` (32 bytes as base64 or hex), or
 * on an embedded start a key generated once into `<dataDir>/encryption.key` (mode 600).
 */
export async function loadEncryptionKey(options: {
  envKey?: string;
  dataDir: string;
  allowGenerate: boolean;
}): Promise<Buffer> {
  if (options.envKey) return parseKey(options.envKey, 'REVFLOW_ENCRYPTION_KEY');
  const file = path.join(options.dataDir, 'encryption.key');
  try {
    return parseKey((await readFile(file, 'utf8')).trim(), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!options.allowGenerate) {
    throw new Error('REVFLOW_ENCRYPTION_KEY is required with an external database (32 bytes, base64)');
  }
  const key = randomBytes(32);
  await mkdir(options.dataDir, { recursive: true });
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  await chmod(file, 0o600);
  return parseKey((await readFile(file, 'utf8')).trim(), file);
}

function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${source} must hold 32 bytes (base64 or hex), not ${key.length}`);
  return key;
}

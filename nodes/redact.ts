import type { Json } from '../engine/json.js';
import type { CredentialSecret } from './credentials/service.js';

/** Every secret string of a credential, for redaction. */
export function secretValues(secret: CredentialSecret): string[] {
  const values: string[] = [];
  switch (secret.type) {
    case 'apiKey':
      values.push(secret.key);
      break;
    case 'basicAuth':
      values.push(secret.password, Buffer.from(`${secret.username}:${secret.password}`).toString('base64'));
      break;
    case 'bearer':
      values.push(secret.token);
      break;
    case 'header':
      values.push(secret.value);
      break;
    case 'smtp':
      if (secret.password) values.push(secret.password);
      break;
    case 'openaiCompatible':
      if (secret.apiKey) values.push(secret.apiKey);
      break;
  }
  // Very short values would redact half the output; they are not secrets worth the name.
  return values.filter((value) => value.length >= 4);
}

/** Replace every occurrence of a secret in strings (keys included) of a JSON value. */
export function redact(value: Json, secrets: readonly string[]): Json {
  if (secrets.length === 0) return value;
  const scrub = (text: string): string =>
    secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  const walk = (item: Json): Json => {
    if (typeof item === 'string') return scrub(item);
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [scrub(key), walk(inner)]));
    }
    return item;
  };
  return walk(value);
}

/** The kinds of personal data the recognisers find (their own module: context.ts and pii.ts both name them). */
export const piiEntities = [
  'email',
  'phone',
  'card',
  'iban',
  'ssn',
  'ip',
  'url_credentials',
  'secret',
  'person',
  'location',
] as const;
export type PiiEntity = (typeof piiEntities)[number];

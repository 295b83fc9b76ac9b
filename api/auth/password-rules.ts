import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';

/**
 * Password rules, with messages a person can act on. Length matters most (NIST 800-63B), so
 * the bar is 10 characters and two kinds of character, plus refusing the obvious guesses —
 * and, since `password12` passed all that (issue 11), a real strength estimate: zxcvbn-ts with
 * its common and English dictionaries must score the password at least 3 of 4 (~10^8 guesses).
 */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

// The passwords that top every breach list and still pass the length rule.
const COMMON = new Set([
  'password123',
  'password1234',
  'password12345',
  'qwerty123456',
  'qwertyuiop123',
  '1234567890a',
  'a1234567890',
  'iloveyou123',
  'welcome1234',
  'letmein1234',
  'abc1234567',
  'abcd123456',
  'administrator1',
  'changeme123',
  'passw0rd123',
]);

/** zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
export const PASSWORD_MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;
function strength(): ZxcvbnFactory {
  // Built on first use: the dictionaries take a few milliseconds to load.
  return (estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  }));
}

const CLASSES: ReadonlyArray<RegExp> = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/];

/** Why this password is refused, or null when it is fine. */
export function passwordProblem(
  password: string,
  context: { email?: string; name?: string } = {},
): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (/^(.)\1+$/.test(password)) return 'must not be one character repeated';
  const kinds = CLASSES.filter((pattern) => pattern.test(password)).length;
  if (kinds < 2) {
    return 'must mix at least two kinds of character (lowercase, uppercase, digits, symbols)';
  }
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is one of the most common passwords; choose another';
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (
    context.email &&
    (lower.includes(context.email.toLowerCase()) || (local && local.length >= 4 && lower.includes(local)))
  ) {
    return 'must not contain your email address';
  }
  const name = context.name?.trim().toLowerCase();
  if (name && name.length >= 4 && lower.includes(name)) return 'must not contain your name';
  const inputs = [context.email, local, name].filter((value): value is string => Boolean(value));
  const result = strength().check(password, inputs);
  if (result.score < PASSWORD_MIN_SCORE) {
    const hint = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
    return `is too easy to guess${hint ? `: ${hint}` : '.'} Try a few unrelated words.`;
  }
  return null;
}

import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from './password-rules.js';

/** Emails are compared trimmed and lowercased; that form is what is stored. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email must be at most 254 characters')
  .check(z.email('Enter a valid email address'));

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'Enter a name')
  .max(100, 'Name must be at most 100 characters');

/** Length only; the rules that need the email and name run on the whole body (withPasswordRules). */
export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `Password must be at least ${PASSWORD_MIN_LENGTH} characters long`)
  .max(PASSWORD_MAX_LENGTH, `Password must be at most ${PASSWORD_MAX_LENGTH} characters long`);

/** Adds the password rules to a body with `password` and optionally `email`/`name`. */
export function checkPassword(
  value: { password: string; email?: string; name?: string },
  ctx: z.RefinementCtx,
): void {
  // Length is the field schema's to report; this adds only what needs the other fields.
  if (value.password.length < PASSWORD_MIN_LENGTH || value.password.length > PASSWORD_MAX_LENGTH) return;
  const problem = passwordProblem(value.password, value);
  if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: `Password ${problem}` });
}

export const isoDate = z.iso.datetime({ offset: true });

export const userSchema = z
  .object({ id: z.uuid(), email: z.string(), name: z.string(), createdAt: isoDate })
  .meta({ id: 'User' });
export type UserView = z.infer<typeof userSchema>;

import { forbiddenError } from '../../engine/errors.js';
import type { AuthResolver, Principal } from '../http/route.js';

/** Feedback, votes and surveys belong to a person: an API key has no one to speak for. */
export function personOf(principal: Principal | null): string {
  if (!principal?.userId)
    throw forbiddenError('This needs a logged-in person, not an API key', 'person_required');
  return principal.userId;
}

/** The viewer of the board: the person, and whether they run the instance. */
export async function viewerOf(
  auth: AuthResolver,
  principal: Principal | null,
): Promise<{ userId: string; admin: boolean }> {
  const userId = personOf(principal);
  return { userId, admin: principal ? await auth.isInstanceAdmin(principal) : false };
}

import type { ValidationIssue } from '../../engine/validate.js';
import { DomainError } from '../../engine/errors.js';

/** Where an issue points, as problem+json `invalidParams[].name`: `nodes.<id>.config.source`, `edges[2].to`, ... */
export function issueParamName(issue: ValidationIssue): string {
  if (issue.nodeId) return ['nodes', issue.nodeId, ...(issue.field ? [issue.field] : [])].join('.');
  if (issue.edgeIndex !== undefined)
    return `edges[${issue.edgeIndex}]${issue.field ? `.${issue.field}` : ''}`;
  return issue.path.length > 0 ? issue.path.join('.') : 'document';
}

/** Bad input (a 400 over HTTP) listing every problem of a document, each with its node and field, for the canvas. */
export function invalidDocument(
  issues: readonly ValidationIssue[],
  detail = 'The workflow has problems to fix',
): DomainError {
  return new DomainError(
    'invalid',
    'invalid_workflow',
    `${detail}: ${issues[0]?.message ?? ''}`.trim(),
    undefined,
    {
      invalidParams: issues.map((issue) => ({ name: issueParamName(issue), reason: issue.message })),
      issues,
    },
  );
}

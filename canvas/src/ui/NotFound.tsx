import { Link } from '../app/router.js';

/** A real not-found page (issue 18): what is missing, and a way back. */
export function NotFound(props: { title: string; detail: string; back: { to: string; label: string } }) {
  return (
    <div className="page not-found" data-testid="not-found" role="alert">
      <h1>{props.title}</h1>
      <p className="muted">{props.detail}</p>
      <div className="not-found__actions">
        <Link to={props.back.to} className="btn btn--primary" testId="not-found-back">
          {props.back.label}
        </Link>
      </div>
    </div>
  );
}

/** Whether a failed load means "there is no such thing": 404, or an id that cannot exist (400). */
export function isMissing(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 404 || status === 400;
}

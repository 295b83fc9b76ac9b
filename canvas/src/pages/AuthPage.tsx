import { useState, type FormEvent } from 'react';
import { api, messageOf } from '../api/client.js';
import { Link, navigate } from '../app/router.js';
import { useSession } from '../app/session.js';

/** Sign up and log in: one card, two modes. */
export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const { refresh } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signup') await api.post('/api/v1/auth/signup', { name, email, password });
      else await api.post('/api/v1/auth/login', { email, password });
      const me = await refresh();
      const first = me?.workspaces[0];
      navigate(first ? `/w/${first.id}/workflows` : '/', { replace: true });
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth">
      <form className="card auth__card" onSubmit={(event) => void submit(event)} data-testid={`${mode}-form`}>
        <div className="brand brand--large">
          <span className="brand__mark">◆</span> Revflow
        </div>
        <h1>{mode === 'signup' ? 'Create your account' : 'Log in'}</h1>
        {mode === 'signup' && (
          <label className="field">
            <span>Name</span>
            <input
              data-testid="auth-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              autoComplete="name"
            />
          </label>
        )}
        <label className="field">
          <span>Work email</span>
          <input
            data-testid="auth-email"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            autoComplete="email"
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            data-testid="auth-password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          />
          {mode === 'signup' && <small className="hint">At least 10 characters, of two kinds.</small>}
        </label>
        {error && (
          <p className="form-error" data-testid="auth-error">
            {error}
          </p>
        )}
        <button
          className="btn btn--primary btn--block"
          type="submit"
          disabled={busy}
          data-testid="auth-submit"
        >
          {busy ? 'One moment…' : mode === 'signup' ? 'Create account' : 'Log in'}
        </button>
        <p className="auth__switch">
          {mode === 'signup' ? (
            <>
              Already have an account? <Link to="/login">Log in</Link>
            </>
          ) : (
            <>
              New to Revflow?{' '}
              <Link to="/signup" testId="to-signup">
                Create an account
              </Link>
            </>
          )}
        </p>
      </form>
    </div>
  );
}

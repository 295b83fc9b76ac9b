import { useEffect } from 'react';
import { AuthPage } from '../pages/AuthPage.js';
import { AcceptInvitationPage } from '../team/AcceptInvitationPage.js';
import { Skeleton } from '../ui/bits.js';
import { NotFound } from '../ui/NotFound.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { navigate, usePath, match } from './router.js';
import { SessionProvider, useSession } from './session.js';
import { Shell } from './Shell.js';
import { ToastProvider } from './toasts.js';
import { useTheme } from './theme.js';

export function App() {
  return (
    <ErrorBoundary>
      <ToastProvider>
        <SessionProvider>
          <Routes />
        </SessionProvider>
      </ToastProvider>
    </ErrorBoundary>
  );
}

function Routes() {
  const path = usePath();
  const { me, loading } = useSession();
  const theme = useTheme();
  const invitation = match('/invitations/:token', path);
  const authPage = path === '/login' || path === '/signup';

  useEffect(() => {
    if (loading || invitation) return;
    if (!me && !authPage) navigate(`/login`, { replace: true });
    else if (me && (authPage || path === '/')) {
      const first = me.workspaces[0];
      if (first) navigate(`/w/${first.id}/workflows`, { replace: true });
    }
  }, [loading, me, path, authPage, invitation]);

  if (invitation) return <AcceptInvitationPage token={invitation.token ?? ''} />;
  if (loading) {
    return (
      <div className="page">
        <Skeleton rows={6} />
      </div>
    );
  }
  if (!me) return authPage ? <AuthPage mode={path === '/signup' ? 'signup' : 'login'} /> : null;
  if (!path.startsWith('/w/'))
    return (
      <NotFound
        title="Page not found"
        detail={`Nothing lives at ${path}.`}
        back={{ to: '/', label: 'Back to my workspaces' }}
      />
    );
  return <Shell path={path} theme={theme} />;
}

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { messageOf } from '../api/client.js';

type Kind = 'info' | 'success' | 'error';
interface Toast {
  id: number;
  kind: Kind;
  text: string;
}
interface Toaster {
  show: (kind: Kind, text: string) => void;
  error: (error: unknown) => void;
}

const ToastContext = createContext<Toaster>({ show: () => undefined, error: () => undefined });
let counter = 0;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback((kind: Kind, text: string) => {
    const id = ++counter;
    setToasts((list) => [...list.slice(-3), { id, kind, text }]);
    setTimeout(
      () => setToasts((list) => list.filter((toast) => toast.id !== id)),
      kind === 'error' ? 7000 : 3500,
    );
  }, []);
  const toaster = useMemo<Toaster>(
    () => ({ show, error: (error) => show('error', messageOf(error)) }),
    [show],
  );
  return (
    <ToastContext.Provider value={toaster}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast--${toast.kind}`} data-testid={`toast-${toast.kind}`}>
            {toast.text}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export const useToast = (): Toaster => useContext(ToastContext);

import { useEffect, useState } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'revflow-theme';

function systemDark(): boolean {
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

/** The theme follows the system until the user picks one; `data-theme` on <html> drives the CSS variables. */
export function useTheme(): { choice: ThemeChoice; dark: boolean; toggle: () => void } {
  const [choice, setChoice] = useState<ThemeChoice>(
    () => (localStorage.getItem(KEY) as ThemeChoice | null) ?? 'system',
  );
  const [system, setSystem] = useState(systemDark);
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const update = (): void => setSystem(query.matches);
    query.addEventListener('change', update);
    return () => query.removeEventListener('change', update);
  }, []);
  const dark = choice === 'system' ? system : choice === 'dark';
  useEffect(() => {
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  }, [dark]);
  const toggle = (): void => {
    const next: ThemeChoice =
      choice === 'system' ? (dark ? 'light' : 'dark') : choice === 'dark' ? 'light' : 'dark';
    const resolved = next === (system ? 'dark' : 'light') ? 'system' : next;
    if (resolved === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, resolved);
    setChoice(resolved);
  };
  return { choice, dark, toggle };
}

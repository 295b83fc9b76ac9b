/** The service or a clear step error naming what the deployment lacks. */
export function required<T>(service: T | undefined, name: string): T {
  if (!service) throw new Error(`This Revflow process has no ${name} service configured`);
  return service;
}

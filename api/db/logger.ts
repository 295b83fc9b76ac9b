/** The slice of a pino logger the database layer uses; a pino `Logger` fits it. */
export interface DbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: DbLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

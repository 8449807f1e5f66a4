/**
 * Types for the parts of better-sqlite3 (v12) that OGRT uses: the package
 * ships no declarations and @types/better-sqlite3 is not a dependency.
 * Used by plugins/output-sqlite and src/core/queries/sqlite-backend.ts.
 */
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface Statement<BindParameters extends unknown[] = unknown[], Result = unknown> {
      readonly reader: boolean;
      readonly source: string;
      run(...params: BindParameters): RunResult;
      get(...params: BindParameters): Result | undefined;
      all(...params: BindParameters): Result[];
      iterate(...params: BindParameters): IterableIterator<Result>;
      pluck(toggle?: boolean): this;
      raw(toggle?: boolean): this;
    }

    interface Transaction<F extends (...args: any[]) => any> {
      (...params: Parameters<F>): ReturnType<F>;
      deferred(...params: Parameters<F>): ReturnType<F>;
      immediate(...params: Parameters<F>): ReturnType<F>;
      exclusive(...params: Parameters<F>): ReturnType<F>;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** Busy timeout in ms (default 5000). */
      timeout?: number;
      verbose?: (message?: unknown, ...more: unknown[]) => void;
    }

    interface Database {
      readonly name: string;
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly readonly: boolean;
      readonly memory: boolean;
      prepare<BindParameters extends unknown[] = unknown[], Result = unknown>(source: string): Statement<BindParameters, Result>;
      transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F>;
      exec(source: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      function(name: string, fn: (...args: any[]) => unknown): this;
      function(name: string, options: { deterministic?: boolean; varargs?: boolean }, fn: (...args: any[]) => unknown): this;
      close(): this;
    }

    interface SqliteError extends Error {
      /** SQLite's extended result code name, e.g. SQLITE_BUSY, SQLITE_IOERR_WRITE. */
      code: string;
    }
  }

  interface DatabaseConstructor {
    new (filename: string, options?: Database.Options): Database.Database;
    (filename: string, options?: Database.Options): Database.Database;
    readonly SqliteError: new (message: string, code: string) => Database.SqliteError;
  }

  const Database: DatabaseConstructor;
  export = Database;
}

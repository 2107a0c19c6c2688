import type SqliteDatabase from 'better-sqlite3'
import type { SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from 'kysely'

/**
 * Kysely's SQLite driver prepares every query anew, and parsing SQL costs more than running the
 * small lookups a login does (issue 8's connection rate). Prepared statements are kept by their
 * text, up to `limit` of them (the oldest is dropped first: Really's filters make many shapes).
 */
export function withStatementCache (db: SqliteDatabase.Database, limit = 500): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>()
  return {
    close: () => {
      statements.clear()
      db.close()
    },
    prepare (sql: string): SqliteStatement {
      const kept = statements.get(sql)
      // A statement still iterating a result cannot run again: a streaming caller gets its own.
      if (kept && !kept.busy) return kept
      const statement = db.prepare(sql)
      if (kept) return statement
      if (statements.size >= limit) statements.delete(statements.keys().next().value!)
      statements.set(sql, statement)
      return statement
    },
  }
}

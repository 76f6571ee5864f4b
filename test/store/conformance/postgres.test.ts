/** Every conformance suite on the PostgreSQL store the harness finds or starts: the one on 127.0.0.1:5432 on our machines and CI. */
import { postgresServer } from '../../support/postgres'
import { postgresConformance } from './postgres-suites'

postgresConformance(await postgresServer())

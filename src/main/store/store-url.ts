/** What a team store's URL looks like, checked where one enters (EngineConfig, settings.json, --store) without loading pg. */
export const STORE_URL = /^postgres(ql)?:\/\/./
export const STORE_URL_PROBLEM = 'store must be a PostgreSQL URL: postgres://user:password@host:5432/database'

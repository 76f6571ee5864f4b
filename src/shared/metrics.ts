/**
 * The metric catalogue of DESIGN.md: the names and label values that the Grafana dashboard
 * (resources/prometheus), alert rules and operators' own PromQL depend on. A contract:
 * change a name only with a note in the README.
 */
import type { BreakerState } from './resilience'

export const METRICS = {
  buildInfo: 'genops_build_info',
  jobsEnqueued: 'genops_jobs_enqueued_total',
  jobsFinished: 'genops_jobs_finished_total',
  jobDuration: 'genops_job_duration_seconds',
  jobWait: 'genops_job_wait_seconds',
  attemptDuration: 'genops_attempt_duration_seconds',
  queueJobs: 'genops_queue_jobs',
  queuePaused: 'genops_queue_paused',
  attempts: 'genops_attempts_total',
  tokens: 'genops_llm_tokens_total',
  cost: 'genops_llm_cost_usd_total',
  requestDuration: 'genops_llm_request_duration_seconds',
  timeToFirstToken: 'genops_llm_time_to_first_token_seconds',
  breakerState: 'genops_breaker_state',
  breakerTransitions: 'genops_breaker_transitions_total',
  rateLimitHolds: 'genops_rate_limit_holds_total',
  providerConcurrencyLimit: 'genops_provider_concurrency_limit',
  providerConcurrencyDecreases: 'genops_provider_concurrency_decreases_total',
  poolThreads: 'genops_pool_threads',
  poolUtilization: 'genops_pool_utilization_ratio',
  poolQueuedTasks: 'genops_pool_queued_tasks',
  intakeJobs: 'genops_intake_jobs_total',
  intakeRejectedFiles: 'genops_intake_rejected_files_total',
  alertsFiring: 'genops_alerts_firing',
  budgetUsed: 'genops_budget_used_ratio',
  dataDirFree: 'genops_data_dir_free_bytes',
  dbSize: 'genops_db_size_bytes',
  dbTransactionDuration: 'genops_db_transaction_duration_seconds',
  cacheHits: 'genops_cache_hits_total',
  cacheSaved: 'genops_cache_saved_usd_total',
  cacheEntries: 'genops_cache_entries',
  cacheBytes: 'genops_cache_bytes',
} as const

/** `genops_queue_jobs{state}`: the shown states, with `held` (due, but a gate holds it) taken out of `queued`. */
export const QUEUE_METRIC_STATES = ['queued', 'held', 'delayed', 'submitted', 'active', 'completed', 'dead', 'cancelled'] as const

/** `genops_jobs_finished_total{outcome}`. */
export const FINISH_OUTCOMES = ['completed', 'dead', 'cancelled'] as const
export type FinishOutcome = (typeof FINISH_OUTCOMES)[number]

/** `genops_rate_limit_holds_total{limit}`: the gates that hold a provider's jobs for its limits. */
export const RATE_LIMITS = ['rpm', 'tpm', 'concurrency', 'batch'] as const
export type RateLimit = (typeof RATE_LIMITS)[number]

/** `genops_db_transaction_duration_seconds{operation}`. */
export const DB_OPERATIONS = ['claim', 'settle', 'enqueue'] as const
export type DbOperation = (typeof DB_OPERATIONS)[number]

/** `genops_breaker_state`: 0 closed, 1 half-open, 2 open; a breaker the operator holds open reads as open. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 2 }

/** `genops_attempts_total{category}` of an attempt that succeeded: the categories are failures'. */
export const NO_CATEGORY = 'none'

/** The engine's `metrics` settings: recording, and the exporter that serves them over HTTP. */
import { z } from 'zod'
import { isLoopback } from '../api/http-guards'

/** The exporter's port unless configured (DESIGN.md); headless mode's API takes another. */
export const DEFAULT_EXPORTER_PORT = 9464

export const ExporterConfig = z
  .object({
    /**
     * Serve /metrics and /health. Default false: the desktop app, `genops serve` and `genops
     * run` turn it on; an engine embedded in a test or a bench opens no port unless asked.
     */
    enabled: z.boolean().default(false),
    /** Default 127.0.0.1. Any other address needs a token. */
    host: z.string().min(1, 'metrics.exporter.host is empty').default('127.0.0.1'),
    /** Default 9464; 0 takes any free port (tests). A port in use is an error, never a silent move. */
    port: z
      .number({ error: 'metrics.exporter.port must be a number' })
      .int('metrics.exporter.port must be an integer from 0 to 65535')
      .min(0, 'metrics.exporter.port must be an integer from 0 to 65535')
      .max(65535, 'metrics.exporter.port must be an integer from 0 to 65535')
      .default(DEFAULT_EXPORTER_PORT),
    /** A bearer token /metrics and /health then require (the probe /health/live stays open, /health/ready on loopback only). Off by default. */
    token: z.string().min(16, 'metrics.exporter.token must be at least 16 characters').optional(),
  })
  .refine((exporter) => !exporter.enabled || isLoopback(exporter.host) || exporter.token !== undefined, {
    error: (issue) => `the exporter listens on ${(issue.input as { host: string }).host}, which is not loopback, only with a token: set metrics.exporter.token`,
    path: ['host'],
  })

export type ExporterOptions = z.output<typeof ExporterConfig>

export const MetricsConfig = z.object({
  /** Record metrics. Default true; off only to measure what they cost (bench/metrics), and then the exporter serves none. */
  enabled: z.boolean().default(true),
  exporter: ExporterConfig.prefault({}),
})
export type MetricsConfig = z.output<typeof MetricsConfig>

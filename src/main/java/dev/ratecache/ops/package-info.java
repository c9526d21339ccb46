/**
 * Operations: {@link dev.ratecache.ops.Operations} gathers health ({@link
 * dev.ratecache.ops.HealthReport}), warm-up, fleet statistics and clears for the admin endpoint
 * ({@link dev.ratecache.ops.AdminResource}, opt-in and authenticated), the CLI and Micrometer
 * ({@link dev.ratecache.ops.RatecacheMetrics}, used only when Micrometer is present).
 *
 * <p>Everything here is thread-safe; reports and statistics are immutable snapshots.
 */
package dev.ratecache.ops;

-- wrk prints p50/p75/p90/p99 with --latency but not p95: print it (and the rest, in microseconds) at the end.
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH p50_us=%.0f p95_us=%.0f p99_us=%.0f max_us=%.0f requests=%d duration_us=%d status_errors=%d timeouts=%d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout))
end

-- wrk script for benchmarks/service.py: when a run ends, print one machine-readable line
-- with the request count, the duration, latency percentiles (microseconds) and the errors
-- (non-2xx/3xx answers, connect/read/write socket errors and timeouts).
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "\nWRK-JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
    "\"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"connect\": %d, \"read\": %d, " ..
    "\"write\": %d, \"status\": %d, \"timeout\": %d}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end

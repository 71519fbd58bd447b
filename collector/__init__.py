"""The collector service: MQTT subscription, payload decoding and validation, InfluxDB writer.

Who owns what (docs/collector.md has the full table and how the parts talk):

- paho's network thread: the MQTT socket; decodes and appends to the ingest's inbox, and
  commits a full group itself while the spool is healthy (never retrying there).
- ``spool-committer`` (ingest.py): inbox → spool commit → acknowledgement, retrying with
  backoff when the spool refuses; every paho client call behind one lock; routing readings
  to the evaluator or to other instances.
- ``influx-writer`` (writer.py): spool → InfluxDB with its own store; ``collector_stats``.
- ``alert-evaluator`` (evaluator.py): event clock, AlertEngine, acknowledgement polling and
  restore, with its own store; events and risk points go back into the spool.
- ``notify-<channel>`` (notify.py): one queue and worker per channel, bounded timeouts.
- ``digest`` (digest.py): with ``[digest] enabled``, sleeps until the weekly digest's time,
  then gathers the week with its own store and e-mails it; its failures are retried and
  logged, never fatal.
- the main thread (service.py): starts, supervises and stops them; the status file.

Counters live in :class:`collector.stats.Stats`, changed only behind its lock. A worker
that meets an error it cannot survive stops the process (non-zero exit); what it can
survive it retries with backoff, logging the fault once. Store errors are types
(``AccessDenied``, ``DatabaseMissing``, ``PointsRefused``, ``StoreUnavailable``), never
told apart by their text here.
"""

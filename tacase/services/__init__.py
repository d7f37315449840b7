"""Use cases. Each takes (session, actor, clock, ...), checks, changes rows, appends audit events,
and flushes; the caller (a request handler, a command or a job) commits once."""

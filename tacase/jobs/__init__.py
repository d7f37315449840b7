"""The scheduler process: the schedule as data, the leader lock, and the jobs it runs."""

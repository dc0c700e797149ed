"""Mission behaviours as state machines, the mission clock, and plan jobs."""

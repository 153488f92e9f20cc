-- A run's heartbeat: the process grading it writes the time every few
-- seconds, so a run whose process was killed (its beat stopped) shows as
-- interrupted and can be resumed. NULL: a run from before beats were kept.
ALTER TABLE class_runs ADD COLUMN beat_at INTEGER;

-- Notices to one or two people (offers of help, released private details) are no longer kept
-- once delivered; this forgets those delivered before the rule existed.
UPDATE broadcasts SET text = '' WHERE kind = 'notice' AND status IN ('done', 'cancelled');

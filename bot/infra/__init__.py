"""Infrastructure with no coalition rules in it: settings, the clock, the message catalogs, the
delivery queue and its courier, the link to the started bot, the flood limit and the update
processor. It imports `storage` and the outside world only."""

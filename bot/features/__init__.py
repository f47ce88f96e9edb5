"""Feature services, one module per feature (needs, events, digests, …): the coalition's rules,
who may do what, dialogues, cadence, expiry, disclosure, audit. They import `bot.conversation`,
`bot.infra` and `storage`, and each other only as their constructors name; never `handlers`,
`bot.app` or Telegram's handler machinery."""

"""How the bot talks: replies and buttons, the stored dialogue engine, answer parsers (dates,
numbers, countries), paged lists, command menus, roles and the session of who is acting. It
imports `bot.infra` and `storage`, never a feature, `handlers` or `bot.app`."""

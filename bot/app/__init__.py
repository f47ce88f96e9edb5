"""The application's assembly: the command line, building the `Application` with its services,
and the scheduled jobs. The only wing that imports `handlers`; it may import every other wing."""

"""`python -m bot` is the `coalition-bot` command."""

import sys

from bot.app.cli import main

sys.exit(main())

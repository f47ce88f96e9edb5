"""`python -m bot` is the `coalition-bot` command."""

import sys

from bot.cli import main

sys.exit(main())

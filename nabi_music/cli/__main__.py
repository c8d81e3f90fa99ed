"""``python -m nabi_music.cli``: the ``nabi`` command."""

import sys

from nabi_music.cli.main import main

sys.exit(main())

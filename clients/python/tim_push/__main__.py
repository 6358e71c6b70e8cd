"""`python -m tim_push` is `tim-push`."""

import sys

from tim_push.cli import main

sys.exit(main())

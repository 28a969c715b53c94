"""`python -m nemo_mock ...`: the `nemo-mock` command."""

import sys

from nemo_mock.cli import main

sys.exit(main())

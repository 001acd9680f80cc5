import sys

from style_transfer.cli import main

sys.exit(main())

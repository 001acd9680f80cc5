import sys

from style_transfer.cli.main import main

sys.exit(main())

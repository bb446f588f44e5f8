import sys

from stoppress_dev.samlocal.cli import main

sys.exit(main())

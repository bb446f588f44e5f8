import sys

from stoppress_dev.samcheck.cli import main

sys.exit(main())

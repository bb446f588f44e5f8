"""``sam local invoke`` against the local stack, for every function and ``events/`` file.

``python -m stoppress_dev.samlocal`` (``make sam-local``) runs it; ``cli`` lists the
steps. One module per step:

- ``image``: the Lambda base image SAM builds on (AWS's, or a stand-in from Debian);
- ``build``: ``sam build`` with that image's Python;
- ``samples``: the objects the ``events/`` S3 files name, which ``stoppress dev`` stores;
- ``stack``: a fresh ``stoppress dev --for-containers`` and its table;
- ``invoke``: which function gets which file, in what order, and ``sam local invoke``;
- ``judge``: each invocation judged by its response and its effect on the table.
"""

from stoppress_dev.samlocal.cli import main

__all__ = ["main"]

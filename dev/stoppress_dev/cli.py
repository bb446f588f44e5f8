"""The ``stoppress`` command: ``dev`` (local stack), ``demo``, ``vapid init``, and the editor's
``preview``, ``history``, ``diff`` and ``rejected``."""

import argparse
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

# Every interface: a container reaches the host through the Docker bridge, not loopback.
CONTAINER_REACHABLE_HOST = "0.0.0.0"  # noqa: S104


def _dev(args: argparse.Namespace) -> int:
    from stoppress_dev.localstack import LocalStack, write_state_file
    from stoppress_dev.samlocal.samples import seed_sample_objects

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("local-stack").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    # A plain flag, not a threading.Event: the handler runs in the main thread, and
    # Event.set() there can deadlock on the lock Event.wait() holds at that moment.
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    aws_host = CONTAINER_REACHABLE_HOST if args.for_containers else args.aws_host
    stack = LocalStack(
        aws_port=args.aws_port,
        aws_host=aws_host,
        api_port=args.api_port,
        web_port=args.web_port,
        quiet_handlers=not args.verbose,
    )
    state_file: Path = args.state_file
    try:
        try:
            state = stack.start()
        except RuntimeError as e:
            print(f"stoppress dev: {e}", file=sys.stderr)
            return 1
        seed_sample_objects(state.bucket)
        write_state_file(state_file, state)
        print(
            f"stoppress local stack is up (state in {state_file}); Ctrl-C stops it.\n"
            f"  demo page  {state.web_url}/\n"
            f"  HTTP API   {state.api_url}\n"
            f"  AWS        {state.aws_endpoint_url}  (region {state.region})\n"
            f"  upload     aws s3 cp samplecontent/nato-resumes-contacts.txt "
            f"s3://{state.bucket}/articles/ --endpoint-url {state.aws_endpoint_url}",
            flush=True,
        )
        if aws_host not in ("127.0.0.1", "localhost", "::1"):
            port = state.aws_endpoint_url.rsplit(":", 1)[1]
            print(
                f"  containers http://host.docker.internal:{port}  (env.local.json)\n"
                f"note: the AWS endpoint listens on {aws_host}, beyond loopback: anyone who can "
                f"reach this machine on port {port} can read and change the local stack, with "
                "any credentials.",
                flush=True,
            )
        while not stopping:
            time.sleep(0.2)
    finally:
        stack.stop()
        state_file.unlink(missing_ok=True)
    print("stoppress local stack stopped.", flush=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from stoppress_dev.demo import run_demo

    return run_demo(verbose=args.verbose)


def _vapid_init(args: argparse.Namespace) -> int:
    from stoppress_dev import vapid

    return vapid.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stoppress",
        description=(
            "Article updates as browser push notifications: local stack, demo, keys, and the "
            "editor's view of a stack."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = commands.add_parser(
        "dev",
        help="run the whole pipeline locally (moto, handlers, HTTP API, demo page)",
        description=(
            "Start the local stack on loopback. Once it is ready, --state-file holds JSON with "
            "aws_endpoint_url, region, bucket, table, api_url, web_url (and push_queue_url, "
            "vapid_public_key). Uploading to articles/ in the bucket drives the pipeline. "
            "The bucket also holds the object versions the events/ S3 files name. "
            "Runs until Ctrl-C or SIGTERM, then removes the state file."
        ),
    )
    dev.add_argument("--state-file", type=Path, required=True, help="where to write the JSON state")
    dev.add_argument("--aws-port", type=int, default=4566, help="moto endpoint port (%(default)s)")
    listen = dev.add_mutually_exclusive_group()
    listen.add_argument(
        "--aws-host",
        default="127.0.0.1",
        help="address the moto endpoint binds (%(default)s)",
    )
    listen.add_argument(
        "--for-containers",
        action="store_true",
        help=f"bind the moto endpoint to {CONTAINER_REACHABLE_HOST}, so that `sam local invoke` "
        "reaches it from Docker as host.docker.internal (env.local.json). It then listens "
        "beyond loopback: anyone who can reach this machine can use the local stack",
    )
    dev.add_argument("--api-port", type=int, default=8080, help="HTTP API port (%(default)s)")
    dev.add_argument("--web-port", type=int, default=8081, help="demo site port (%(default)s)")
    dev.add_argument(
        "--verbose", action="store_true", help="also log each push job, and the handlers' own logs"
    )
    dev.set_defaults(run=_dev)

    demo = commands.add_parser(
        "demo", help="subscribe simulated browsers, upload the samples, show what arrived"
    )
    demo.add_argument("--verbose", action="store_true", help="print every pipeline step")
    demo.set_defaults(run=_demo)

    vapid = commands.add_parser("vapid", help="VAPID key pair in SSM Parameter Store")
    vapid_commands = vapid.add_subparsers(dest="vapid_command", required=True, metavar="COMMAND")
    init = vapid_commands.add_parser(
        "init",
        help="generate and store the key pair (keeps an existing pair unless --overwrite)",
    )
    from stoppress_dev import vapid as vapid_module

    vapid_module.add_arguments(init)
    init.set_defaults(run=_vapid_init)

    from stoppress_dev.editor import add_editor_commands

    add_editor_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

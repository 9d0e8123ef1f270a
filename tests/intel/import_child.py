"""Run `acuerdo intel import` in this process under an address-space limit, then report.

Usage: python import_child.py HEADROOM_BYTES -- ACUERDO-ARGS...
Everything the import needs is imported first; then RLIMIT_AS is set to the address space
in use plus HEADROOM_BYTES, so the import itself may use at most that much more. Prints the
exit code and the peak address space (VmPeak) as JSON on the last line.
"""

from __future__ import annotations

import json
import resource
import sys


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def main() -> int:
    headroom = int(sys.argv[1])
    args = sys.argv[sys.argv.index("--") + 1 :]
    import click

    import acuerdo.domains.intel.importing
    import acuerdo.node  # noqa: F401
    from acuerdo.cli import main as cli

    limit = _status("VmSize") + headroom
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        returned = cli.main(args=args, prog_name="acuerdo", standalone_mode=False)
        code = returned if isinstance(returned, int) else 0
    except click.ClickException as exc:
        print(exc.format_message(), file=sys.stderr)
        code = 1
    except MemoryError:
        code = 99
    print(json.dumps({"code": code, "limit": limit, "peak": _status("VmPeak")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command-line interface: ``fmtrials`` (also ``python -m fmtrials``).

Exit status: 0 when fine; 2 for invalid input, usage or an unsafe output folder (a readable message naming
file, row and column on stderr, never a traceback) -- among them a ``--title`` or ``--treatment-label`` holding
control characters or bidi overrides, another ``report`` run writing to the same ``--out`` (refused at once,
not queued), a file or folder that appeared at ``--out`` while the report was built (kept; the new report is
discarded), and ``--out`` on a mount point; 1 when output cannot be written or for an unexpected
internal error (one line ``internal error: ...`` asking for a report; the traceback only with
``FMTRIALS_DEBUG=1``); 130 on Ctrl-C and 143 on SIGTERM during ``report`` (the build folder is removed).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__, _proc
from .errors import DataError, ReportError

__all__ = ["main", "build_parser"]

TABLES = ("trials", "arms", "outcomes", "reported", "sources", "gaps")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fmtrials",
        description="Re-analysis of the randomized placebo-controlled trials of milnacipran in fibromyalgia.",
    )
    p.add_argument("--version", action="version", version=f"fmtrials {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("data", help="show the bundled tables and a provenance summary")
    d.add_argument("--table", choices=TABLES, help="print one whole table instead of the summary")
    d.add_argument("--csv", action="store_true", help="with --table: print it as CSV")

    v = sub.add_parser("validate", help="validate a CSV file (user outcomes by default)")
    v.add_argument("path", help="the CSV file to check")
    v.add_argument(
        "--table",
        choices=(*TABLES, "continuous"),
        type=str.lower,
        default=None,
        help="which table layout to check against (default: outcomes for user data, or the bundled "
        "table named like the file; continuous: a user continuous outcomes file as read by report --continuous)",
    )

    r = sub.add_parser("report", help="write the HTML report")
    r.add_argument("--data", metavar="CSV", help="user outcomes CSV (study, dose_mg_day, endpoint, n, responders)")
    r.add_argument(
        "--continuous",
        metavar="CSV",
        help="user continuous outcomes CSV (study, endpoint, mean_t, sd_t, n_t, mean_c, sd_c, n_c)",
    )
    r.add_argument("--endpoint", nargs="+", metavar="E", help="endpoint(s) to analyse")
    r.add_argument(
        "--comparators",
        metavar="CSV",
        help="comparator arms for the network section (the layout of data/comparator_arms.csv); default: bundled",
    )
    r.add_argument(
        "--measure",
        type=str.upper,
        choices=("RD", "RR", "OR"),
        default="RR",
        help="effect measure for pooling (any letter case)",
    )
    r.add_argument("--ci", default="newcombe", metavar="METHOD", help="risk-difference interval method")
    r.add_argument(
        "--method",
        metavar="METHOD",
        help="main pooling model: REML, DL, PM (random effects) or MH, IV, Peto (common effect); default REML "
        "(MH when k <= 2)",
    )
    r.add_argument(
        "--test",
        metavar="TEST",
        help="test and interval of the main model: z, hksj or hksj-adhoc (default hksj-adhoc for REML)",
    )
    r.add_argument(
        "--treatment-label",
        metavar="TEXT",
        help="name of the treatment in tables and figures (default: milnacipran for the bundled data, "
        "'treatment' for --data)",
    )
    r.add_argument("--title", metavar="TEXT", help="title of the report")
    r.add_argument("--dpi", type=int, default=300, help="resolution of the PNG figure files (default 300)")
    r.add_argument("--out", default="report", metavar="DIR", help="output directory (default: ./report)")
    r.add_argument("--force", action="store_true", help="overwrite a non-empty directory that is not a report")
    r.add_argument("--quiet", action="store_true", help="no progress lines (nor warnings) on stderr")
    r.add_argument(
        "--no-figures",
        dest="figures",
        action="store_false",
        help="skip the figures (tables and results only; faster for large inputs)",
    )
    return p


def _cmd_data(args: argparse.Namespace) -> int:
    from . import data

    if args.table:
        df = getattr(data, f"load_{args.table}")()
        if args.csv:
            from ._csv import write_csv

            write_csv(df, sys.stdout)
        else:
            with _wide_pandas():
                print(df.to_string(index=False))
        return 0
    counts = data.validate_bundled()
    print(f"fmtrials {__version__}: bundled data in {data.data_dir()}")
    for name, n in counts.items():
        print(f"  {name + '.csv':<14}{n:>5} rows  ({data.SPECS[name].description})")
    out = data.load_outcomes()
    print("\nOutcome figures by status (every figure names its source and locator):")
    for status, n in out["status"].value_counts().sort_index().items():
        print(f"  {status:<14}{n:>5}")
    print("\nOutcome rows by source:")
    src = data.load_sources().set_index("source_id")["short"]
    for s, n in out["source"].value_counts().sort_index().items():
        print(f"  {s:<10}{n:>5}  {src.get(s, '?')}")
    print("\nEndpoints: studies with known counts against placebo (comparisons):")
    c = data.contrasts(out, endpoint=sorted(out["endpoint"].dropna().unique()))
    for ep, g in c.groupby("endpoint", sort=True):
        print(f"  {ep:<28}{g['study'].nunique():>3} ({len(g)})")
    return 0


class _wide_pandas:
    def __enter__(self):
        import pandas as pd

        self._ctx = pd.option_context(
            "display.width", 250, "display.max_columns", None, "display.max_colwidth", 60, "display.max_rows", None
        )
        self._ctx.__enter__()

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)


def _cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import data

    table = args.table
    if table is None:
        stem = Path(args.path).stem
        table = stem if stem in TABLES and stem != "outcomes" else "outcomes_user"
    if table == "outcomes_user":
        df = data.read_outcomes(args.path)
        what = "user outcomes"
    elif table == "continuous":
        df = data.read_continuous(args.path)
        what = "user continuous outcomes"
    else:
        sources = None if table == "sources" else data.load_sources()
        df = data.read_table(args.path, table, sources=sources)
        what = f"{table} table"
    print(f"{args.path}: OK ({what}, {len(df)} row{'' if len(df) == 1 else 's'})")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    write_report(
        args.out,
        data=args.data,
        endpoints=args.endpoint,
        measure=args.measure,
        ci=args.ci,
        force=args.force,
        quiet=args.quiet,
        figures=args.figures,
        treatment=args.treatment_label,
        title=args.title,
        method=args.method,
        test=args.test,
        dpi=args.dpi,
        continuous=args.continuous,
        comparators=args.comparators,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handler = {"data": _cmd_data, "validate": _cmd_validate, "report": _cmd_report}[args.command]
    try:
        return handler(args)
    except ReportError as err:
        print(f"fmtrials: the report was not written (nothing was changed)\n{err}", file=sys.stderr)
        return 2
    except DataError as err:
        print(f"fmtrials: invalid input\n{err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `fmtrials data --table outcomes | head`
        return 0
    except (_proc.Terminated, _proc.Interrupted) as stop:
        # SIGTERM / SIGINT during the report: the build folder and the figure workers were cleaned up on the way
        # here; leave at once, so neither the abandoned build thread nor the interpreter's exit hooks (which join
        # the process pool's threads) can keep a stopped run alive
        what = "interrupted" if isinstance(stop, KeyboardInterrupt) else "terminated"
        done = "the report had already been written" if stop.written else "nothing was changed"
        print(f"fmtrials: {what} ({done})", file=sys.stderr)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(130 if isinstance(stop, KeyboardInterrupt) else int(stop.code or 143))
    except KeyboardInterrupt:
        print("fmtrials: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if os.environ.get("FMTRIALS_DEBUG") == "1":
            raise
        print(f"fmtrials: cannot write output: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001  (the one place that turns a bug into a short message)
        if os.environ.get("FMTRIALS_DEBUG") == "1":
            raise
        text = " ".join(str(err).split()) or "(no message)"
        text = text if len(text) <= 300 else text[:297] + "..."
        print(
            f"fmtrials: internal error: {type(err).__name__}: {text}\n"
            "fmtrials: this is a bug in fmtrials, not in your data: please report it with the command you "
            "ran (set FMTRIALS_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 1

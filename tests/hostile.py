"""Hostile inputs for the command line, each run in a child process bounded in time and memory.

Every case builds its files in a fresh folder (scenario files with absurd numbers, files that are
not files, outputs that are devices or links) and runs ``labfinance`` on them as a user would. The
promise under test (issue 11, workbook-and-cli.md "Exit status"): the command exits 0 or 2, within
:data:`SECONDS` and :data:`MEMORY`, and every line it writes on standard error names where the
problem is (``FILE:LINE: ...``, ``FILE: ...``, ``--set: ...``, ``--variant NAME: ...``, an output
path or a usage error), never an internal error or a traceback.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECONDS = 10.0  # the bound per case, in processor time (the machine may be shared)
HANG = 60.0  # wall-clock time after which a case counts as hanging
MEMORY = 1 << 30  # 1 GiB of address space for the child (numpy and all)

BASE = """\
labfinance: 1
name: Hostile probe
start_year: 2026
years: 5
discount_rate: 0.03
stakeholders:
  city: {name: City, kind: municipality}
  insurer: {name: Insurer, kind: insurer}
costs:
  - id: cameras
    category: capex
    amount: 100000
    year: 2026
    life: 8
  - id: support
    category: opex
    amount: 10000
funding:
  - id: city
    type: contribution
    stakeholder: city
    amount: 20000
  - id: erdf
    type: grant
    status: expected
    probability: 0.7
    rate: 0.4
    payment: {advance: 0.2, retention: 0.1, lag: 1}
  - id: pay
    type: outcome_payment
    stakeholder: insurer
    benefit: fewer
    price: 500
    lag: 1
  - id: bank
    type: loan
    amount: 30000
    year: 2026
    rate: 0.04
    term: 10
benefits:
  - id: fewer
    beneficiary: city
    quantity: 10
    unit_value: 5000
uncertainty:
  costs.cameras.amount: {dist: triangular, low: 80000, mode: 100000, high: 150000}
variants:
  cheap:
    set: {costs.cameras.amount: 90000}
"""


def edit(text: str, replace: dict[str, str]) -> str:
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@dataclass
class Outcome:
    status: int | str  # the exit status, or "timeout" / a signal name
    stdout: bytes
    stderr: str
    seconds: float  # processor time, user and system
    peak_mb: float
    wall: float = 0.0


NOBODY = 65534


def _limits(memory: int, umask: int | None, fsize: int | None,
            as_nobody: bool = False) -> Callable[[], None]:
    def apply() -> None:
        if as_nobody and os.getuid() == 0:  # root reads every file: test permissions as nobody
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if fsize is not None:  # a full disk, as the writer sees it: EFBIG on the next write
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if umask is not None:
            os.umask(umask)
        os.setsid()  # its own process group: a timeout kills the child and nothing else

    return apply


def run_cli(args: list[str], cwd: Path, *, env: dict[str, str] | None = None,
            stdin: Any = subprocess.DEVNULL, stdout: Any = subprocess.PIPE,
            umask: int | None = None, fsize: int | None = None, as_nobody: bool = False,
            seconds: float = HANG, memory: int = MEMORY) -> Outcome:
    """Run ``labfinance ARGS`` in ``cwd`` under the bounds; never raises on the child's fate."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LABFINANCE")}
    environment.update({"OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    environment.update(env or {})
    code = "from labfinance.cli import main; main(prog_name='labfinance')"
    start = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, env=environment,
                               stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                               preexec_fn=_limits(memory, umask, fsize, as_nobody))
    streams: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        streams[name] = stream.read() if stream is not None else b""

    readers = [threading.Thread(target=drain, args=(name, stream)) for name, stream in
               (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(seconds, stop)
    timer.start()
    _, wait_status, usage = os.wait4(process.pid, 0)  # the child's own peak memory, not the max
    timer.cancel()                                    # over every child so far
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    for reader in readers:
        reader.join()
    status: int | str = "timeout" if timed_out.is_set() else process.returncode
    if isinstance(status, int) and status < 0:
        status = signal.Signals(-status).name
    return Outcome(status, streams.get("out", b""), streams.get("err", b"").decode(
        "utf-8", "replace"), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
        time.monotonic() - start)


# ------------------------------------------------------------------------------ the cases


@dataclass
class Case:
    """A hostile situation: ``setup(folder)`` makes the files and returns the arguments."""

    name: str
    kind: str  # the class: numbers, sizes, files, faults, outputs, paths, quiet
    setup: Callable[[Path], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (2,)  # 0 where the input is fine and only the machine is odd
    fsize: int | None = None
    stdout_to: str | None = None  # a device to send standard output to
    as_nobody: bool = False  # run as an unprivileged user (permissions mean nothing to root)


def _file(name: str, text: str, *args: str,
          command: str = "validate") -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        (folder / name).write_text(text, encoding="utf-8")
        return [command, name, *args]

    return setup


def _run(text: str, *args: str) -> Callable[[Path], list[str]]:
    return _file("case.yaml", text, "--draws", "0", "--json", "-", *args, command="run")


def _validate(text: str) -> Callable[[Path], list[str]]:
    return _file("case.yaml", text)


def _fifo(folder: Path) -> list[str]:
    os.mkfifo(folder / "pipe.yaml")
    return ["validate", "pipe.yaml"]


def _zero_link(folder: Path) -> list[str]:
    (folder / "zero.yaml").symlink_to("/dev/zero")
    return ["run", "zero.yaml"]


def _long_name(folder: Path) -> list[str]:
    return ["validate", "x" * 300 + ".yaml"]


def _long_output(folder: Path) -> list[str]:
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    return ["run", "case.yaml", "--draws", "0", "-o", "x" * 300 + ".xlsx"]


def _no_execute(folder: Path) -> list[str]:
    locked = folder / "locked"
    locked.mkdir()
    (locked / "case.yaml").write_text(BASE, encoding="utf-8")
    locked.chmod(0o666)  # read and write, but no one may enter it
    folder.chmod(0o777)
    return ["validate", "locked/case.yaml"]


def _read_only_folder(folder: Path) -> list[str]:
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    (folder / "case.yaml").chmod(0o644)
    folder.chmod(0o555)
    return ["run", "case.yaml", "--draws", "0", "-o", "out.xlsx"]


def _bytes_name(folder: Path) -> list[str]:
    name = b"caf\xe9\xff.yaml"
    with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
        handle.write(BASE.encode())
    return ["run", os.fsdecode(name), "--draws", "0", "--json", "out.json"]


def _folder_named_yaml(folder: Path) -> list[str]:
    (folder / "dir.yaml").mkdir()
    return ["run", "dir.yaml"]


def _large(folder: Path) -> list[str]:
    with open(folder / "big.yaml", "w", encoding="utf-8") as handle:
        handle.write(BASE)
        handle.write("# " + "x" * 98 + "\n" * 1)
        handle.write(("# " + "x" * 97 + "\n") * 60_000)
    return ["validate", "big.yaml"]


def _many_values(folder: Path) -> list[str]:
    """Just under the size limit, as many tiny values as fit: parse time is the bound here."""
    lines = ["labfinance: 1", "name: many", "extra:"] + ["- 1"] * 249_000
    (folder / "many.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["validate", "many.yaml"]


def _deep(folder: Path) -> list[str]:
    (folder / "deep.yaml").write_text(BASE + "extra: " + "[" * 20_000 + "]" * 20_000 + "\n",
                                      encoding="utf-8")
    return ["validate", "deep.yaml"]


def _deep_block(folder: Path) -> list[str]:
    lines = [BASE.rstrip("\n"), "extra:"]
    lines += [" " * (2 * i + 2) + f"k{i}:" for i in range(600)]
    (folder / "deep.yaml").write_text("\n".join(lines) + " 1\n", encoding="utf-8")
    return ["validate", "deep.yaml"]


def _laughs(folder: Path) -> list[str]:
    lines = [BASE.rstrip("\n"), "lol: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 9) + "]")
    (folder / "laughs.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["validate", "laughs.yaml"]


def _not_utf8(folder: Path) -> list[str]:
    (folder / "latin.yaml").write_bytes(BASE.replace("Hostile probe", "Caf\xe9").encode("latin-1"))
    return ["validate", "latin.yaml"]


def _nul(folder: Path) -> list[str]:
    (folder / "nul.yaml").write_bytes(BASE.replace("Hostile probe", "Ho\x00stile").encode())
    return ["validate", "nul.yaml"]


def _control_in_name(folder: Path) -> list[str]:
    # a double-quoted YAML escape makes an ESC character: the terminal must not receive it raw
    (folder / "case.yaml").write_text(BASE.replace("name: Hostile probe",
                                                   'name: "\\e[31mRED\\e[0m \\a"'),
                                      encoding="utf-8")
    return ["run", "case.yaml", "--draws", "0", "--json", "out.json"]


def _toml_twice(folder: Path) -> list[str]:
    text = ('labfinance = 1\nname = "T"\nstart_year = 2026\nyears = 5\ndiscount_rate = 0.03\n'
            '[stakeholders.city]\nkind = "municipality"\n[[costs]]\nid = "a"\ncategory = "opex"\n'
            '[costs.schedule]\n2026 = 100\n" 2026" = 200\n')
    (folder / "case.toml").write_text(text, encoding="utf-8")
    return ["validate", "case.toml"]


def _outputs_same(folder: Path) -> list[str]:
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    return ["run", "case.yaml", "--draws", "0", "-o", "same.out", "--json", "./same.out"]


def _dangling(folder: Path) -> list[str]:
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    (folder / "out.xlsx").symlink_to(folder / "nowhere" / "target.xlsx")
    return ["run", "case.yaml", "--draws", "0", "-o", "out.xlsx"]


def _read_only_json(folder: Path) -> list[str]:
    """The workbook can be written but the JSON cannot: neither may be left."""
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.json").mkdir()  # the rename of the JSON fails: a folder is in the way
    return ["run", "case.yaml", "--draws", "0", "-o", "out.xlsx", "--json", "sub/x.json",
            "--force"]


def _fifo_output(folder: Path) -> list[str]:
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    os.mkfifo(folder / "out.json")
    return ["run", "case.yaml", "--draws", "0", "--json", "out.json", "--force"]


def _draw_all_equal(folder: Path) -> list[str]:
    text = edit(BASE, {"    quantity: 10\n": "    quantity: 0\n",
                       "unit_value: 5000": "unit_value: 1.5",
                       "costs.cameras.amount: {dist: triangular, low: 80000, mode: 100000, "
                       "high: 150000}": "benefits.fewer.unit_value: {dist: uniform, low: 1, "
                       "high: 2}"})
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    return ["run", "case.yaml", "--draws", "200", "-o", "out.xlsx", "--json", "out.json"]


def _compare(folder: Path) -> list[str]:
    (folder / "case.yaml").write_text(BASE, encoding="utf-8")
    return ["compare", "case.yaml", "-o", "cmp.xlsx"]


def _amount(value: str) -> str:
    return edit(BASE, {"    amount: 10000\n": f"    amount: {value}\n"})


def _cost_key(line: str) -> str:
    return edit(BASE, {"    life: 8\n": f"    life: 8\n    {line}\n"})


CASES: list[Case] = [
    # numbers that validate but broke the engine
    Case("amount-1e36", "numbers", _run(_amount("1e36"))),
    Case("amount-1e300", "numbers", _run(_amount("1.0e+300"))),
    Case("amount-inf", "numbers", _run(_amount(".inf"))),
    Case("set-amount-1e400", "numbers", _run(BASE, "--set", "costs.cameras.amount=1e400")),
    Case("escalation-1e6-100y", "numbers",
         _run(edit(_cost_key("escalation: 1000000"), {"years: 5": "years: 100"}))),
    Case("discount-near-minus-1", "numbers",
         _run(edit(BASE, {"discount_rate: 0.03": "discount_rate: -0.999999",
                          "years: 5": "years: 100"}))),
    Case("normal-infinite-bound", "numbers", _run(edit(BASE, {
        "{dist: triangular, low: 80000, mode: 100000, high: 150000}":
            "{dist: normal, mean: 100000, sd: 10000, high: .inf}"}), "--draws", "100")),
    Case("set-normal-bound-inf", "numbers",
         _run(BASE.replace("{dist: triangular, low: 80000, mode: 100000, high: 150000}",
                           "{dist: normal, mean: 100000, sd: 10000, high: 200000}"),
              "--set", "uncertainty.costs.cameras.amount.high=.inf")),
    Case("digits-5000", "numbers", _validate(_amount("1" * 5000))),
    Case("every-beyond-long", "numbers", _run(edit(BASE, {
        "    amount: 10000\n": "    amount: 10000\n    every: 100000000000000000000\n"}))),
    Case("life-beyond-long", "numbers",
         _run(edit(BASE, {"    life: 8\n": "    life: 100000000000000000000\n"}))),
    Case("term-beyond-long", "numbers",
         _run(edit(BASE, {"    term: 10\n": "    term: 100000000000000000000\n"}))),
    Case("loan-rate-huge", "numbers",
         _run(edit(BASE, {"    rate: 0.04\n    term: 10": "    rate: 1000\n    term: 900"}))),
    Case("contingency-huge", "numbers", _run(edit(BASE, {
        "discount_rate: 0.03": "discount_rate: 0.03\ncontingency: 1.0e+300"}))),
    Case("quantity-times-value", "numbers", _run(edit(BASE, {
        "    quantity: 10\n": "    quantity: 1.0e+200\n",
        "unit_value: 5000": "unit_value: 1.0e+200"}))),
    Case("monte-carlo-all-equal", "numbers", _draw_all_equal, expect=(0,)),
    # format 1.2: unit prices and declining social rates
    Case("unit-price-1e200", "numbers", _run(edit(BASE, {
        "    amount: 100000\n": "    quantity: 1.0e+200\n    unit_cost: 1.0e+200\n"}))),
    Case("step-rate-near-minus-1", "numbers", _run(edit(BASE, {
        "discount_rate: 0.03": "discount_rate: 0.03\nsocial_discount_rate: [{from: 0, rate: "
                               "0.03}, {from: 50, rate: -0.999999}]",
        "years: 5": "years: 100"}))),
    Case("set-green-book-step-inf", "numbers", _run(edit(BASE, {
        "discount_rate: 0.03": "discount_rate: 0.03\nsocial_discount_rate: green_book"}),
        "--set", "social_discount_rate.2.rate=.inf")),
    Case("steps-20000", "sizes", _validate(edit(BASE, {
        "discount_rate: 0.03": "discount_rate: 0.03\nsocial_discount_rate: ["
                               + ", ".join(["{from: 0, rate: 0.03}"] * 20_000) + "]"}))),
    # sizes that allocated without bound
    Case("payment-lag-1e9", "sizes", _run(edit(BASE, {"lag: 1}": "lag: 1000000000}"}))),
    Case("outcome-lag-1e11", "sizes",
         _run(edit(BASE, {"    lag: 1\n": "    lag: 100000000000\n"}))),
    Case("variant-lag-1e9", "sizes", _run(edit(BASE, {
        "set: {costs.cameras.amount: 90000}": "set: {funding.pay.lag: 1000000000}"}))),
    Case("set-lag-1e9", "sizes", _run(BASE, "--set", "funding.erdf.payment.lag=1000000000")),
    Case("lag-past-xfd", "sizes", _run(edit(BASE, {"    lag: 1\n": "    lag: 16370\n"}))),
    Case("draws-1e9", "sizes", _run(BASE, "--draws", "1000000000")),
    Case("set-start-year-9999", "sizes", _run(BASE, "--set", "start_year=9999")),
    Case("source-date-epoch-far", "sizes", _file("case.yaml", BASE, "--draws", "0", "-o",
                                                 "out.xlsx", command="run"),
         env={"SOURCE_DATE_EPOCH": "999999999999"}),
    Case("source-date-epoch-text", "sizes", _file("case.yaml", BASE, "--draws", "0", "-o",
                                                  "out.xlsx", command="run"),
         env={"SOURCE_DATE_EPOCH": "yesterday"}),
    # files that are not files
    Case("fifo", "files", _fifo),
    Case("link-to-dev-zero", "files", _zero_link),
    Case("name-too-long", "files", _long_name),
    Case("folder-without-execute", "files", _no_execute, as_nobody=True),
    Case("read-only-folder", "faults", _read_only_folder, as_nobody=True),
    Case("non-utf8-file-name", "files", _bytes_name, expect=(0,)),
    Case("folder-named-yaml", "files", _folder_named_yaml),
    Case("lone-surrogate", "files", _validate(BASE.replace("Hostile probe", '"\\ud800"'))),
    Case("larger-than-limit", "files", _large),
    Case("many-values", "files", _many_values),
    Case("long-scalar", "files", _validate(BASE.replace("Hostile probe", "x" * 990_000))),
    Case("deep-flow", "files", _deep),
    Case("deep-block", "files", _deep_block),
    Case("billion-laughs", "files", _laughs),
    Case("not-utf8", "files", _not_utf8),
    Case("nul-character", "files", _nul),
    # the machine's faults
    Case("disk-full-workbook", "faults",
         _file("case.yaml", BASE, "--draws", "0", "-o", "out.xlsx", command="run"), fsize=4096),
    Case("disk-full-stdout", "faults", _run(BASE), stdout_to="/dev/full"),
    Case("output-name-too-long", "faults", _long_output),
    # outputs: special files, links, the same path twice, all or nothing
    Case("fifo-output-force", "outputs", _fifo_output),
    Case("same-output-twice", "outputs", _outputs_same),
    Case("dangling-link-output", "outputs", _dangling),
    Case("json-fails-after-workbook", "outputs", _read_only_json),
    # checks that a path around them skipped
    Case("share-range-above-1", "paths", _validate(edit(BASE, {
        "costs.cameras.amount: {dist: triangular, low: 80000, mode: 100000, high: 150000}":
            "funding.erdf.rate: {dist: uniform, low: 0.2, high: 1.5}"}))),
    Case("toml-year-twice", "paths", _toml_twice),
    Case("yaml11-octal", "paths", _validate(edit(BASE, {"years: 5": "years: 010"})),
         expect=(0, 2)),
    Case("yaml11-underscore", "paths", _validate(_amount("1_000"))),
    Case("yaml11-sexagesimal", "paths", _validate(_amount("1:30"))),
    Case("tag-on-map", "paths", _validate(edit(BASE, {"stakeholders:": "stakeholders: !!omap"}))),
    Case("tag-on-list", "paths", _validate(edit(BASE, {"costs:\n": "costs: !mine\n"}))),
    Case("python-tag", "paths", _validate(edit(BASE, {
        "name: Hostile probe": "name: !!python/object/apply:os.system [echo hi]"}))),
    # outputs that broke quietly
    Case("control-characters-in-name", "quiet", _control_in_name, expect=(0, 2)),
    Case("long-text", "quiet", _validate(edit(BASE, {"name: Hostile probe":
                                                     "name: " + "x" * 40_000}))),
    Case("compare", "quiet", _compare, expect=(0,)),
]

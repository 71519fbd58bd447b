"""What the time of a sign-in answer tells: the median time of a wrong password for an
existing name and for a name that does not exist (both should be one scrypt). Prints
figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_login.py
"""

from __future__ import annotations

import statistics
import time

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.description.users import authenticate, hash_password

TRIES = 30


def median_ms(hashes: dict[str, str], name: str) -> float:
    times = []
    for _ in range(TRIES):
        start = time.perf_counter()
        authenticate(hashes, name, "wrong password")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    hashes = {"lan": hash_password("gel bạc 2026")}
    authenticate(hashes, "nobody", "warm-up")  # the dummy hash is made once, on first use
    known = median_ms(hashes, "lan")
    unknown = median_ms(hashes, "nobody")
    print(
        f"wrong password, existing name: {known:.1f} ms; unknown name: {unknown:.1f} ms (median of {TRIES})"
    )
    figure("sign-in answer, existing name", known, "ms")
    figure("sign-in answer, unknown name", unknown, "ms")


if __name__ == "__main__":
    main()

"""A text progress bar for the commands that read the whole log."""

from __future__ import annotations

import sys
from collections.abc import Callable


def progress_bar(label: str, unit: str = "events") -> Callable[[int, int], None]:
    """A text progress bar on stderr: `label [#####.....] 1234/5000 events`."""
    width = 40

    def show(done: int, total: int) -> None:
        filled = width if total == 0 else int(width * done / total)
        end = "\n" if done >= total else ""
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}",
              end=end, file=sys.stderr, flush=True)

    return show

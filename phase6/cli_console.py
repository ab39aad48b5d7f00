"""What the command line prints with: consoles, operator tables and times.

Consoles are made when a command prints, never at import, so that each takes the width of that moment (the terminal,
else COLUMNS, else 80 when piped). Operator tables stay readable at 80 columns: ids and names are never cut, long
cells fold onto more lines instead of ending in "…", and times are short, on the game-day clock (America/New_York).
"""
from __future__ import annotations

from datetime import datetime, timezone

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .formats import EASTERN

TIME_ZONE_NOTE = "times ET"
HOUR = 3600
COLUMN_GAP = 2


def out() -> Console:
    return Console()


def err() -> Console:
    return Console(stderr=True)


def operator_table(*headers: str, whole: tuple[str, ...] = (), numbers: tuple[str, ...] = (),
                   title: str | None = None, caption: str | None = None) -> Table:
    """Columns named in `whole` (ids, export types) keep their longest value on one line (see `keep_whole`); the
    others fold. Columns named in `numbers` are right-aligned."""
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1),
                  collapse_padding=True)
    for header in headers:
        table.add_column(header, no_wrap=header in whole, overflow="fold",
                         justify="right" if header in numbers else "left")
    return table


def pairs_table(title: str, pairs: list[tuple[str, str]]) -> Table:
    """A two-column table of labels and values, without a header."""
    table = operator_table("", "", title=title)
    table.show_header = False
    for label, value in pairs:
        table.add_row(label, value)
    return table


def keep_whole(table: Table) -> Table:
    """Sizes the `whole` columns to their longest cell, so that rich shrinks the folding columns instead."""
    for column in table.columns:
        if column.no_wrap:
            column.min_width = max((len(str(cell)) for cell in [column.header, *column.cells]), default=0)
    return table


def short_time(value: datetime | str | None, now: datetime | None = None) -> str:
    """HH:MM:SS on the game-day clock for today, MM-DD HH:MM for another day; "" for nothing."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(EASTERN)
    today = (now or datetime.now(timezone.utc)).astimezone(EASTERN).date()
    return local.strftime("%H:%M:%S" if local.date() == today else "%m-%d %H:%M")


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 2 * HOUR else f"{seconds / HOUR:.1f} h"


def noted_table(headers: tuple[str, ...], rows: list[tuple[list[Text], str]], title: str) -> Group:
    """A table whose every row may carry a note, on an indented line of its own below the row, folded to the width:
    for what would make the table too wide (rich tables have no cell spanning the row). Columns are as wide as their
    longest cell, so the row itself is never cut."""
    widths = [max(len(cell) for cell in (Text(header), *(cells[index] for cells, _ in rows)))
              for index, header in enumerate(headers)]
    gap = " " * COLUMN_GAP

    def line(cells: list[Text]) -> Text:
        return Text(" ") + Text(gap).join(Text.assemble(cell, " " * (width - len(cell))) for cell, width in zip(cells, widths))

    rendered: list = [Text(title, style="italic", justify="center"),
                      line([Text(header, style="bold") for header in headers]),
                      Text("─" * (1 + sum(widths) + COLUMN_GAP * (len(widths) - 1)))]
    for cells, note in rows:
        rendered.append(line(cells))
        if note:
            rendered.append(Padding(Text(note, overflow="fold"), (0, 0, 0, 3)))
    return Group(*rendered)

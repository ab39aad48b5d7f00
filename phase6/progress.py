"""Progress display for long CLI work: rich progress bars with counts and rates on a terminal, silence otherwise
(a pipe, a file, CI logs)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

ProgressCallback = Callable[[str, int, int], None]


class RateColumn(ProgressColumn):
    """Items per second, once rich has measured a speed."""

    def render(self, task: Task) -> Text:
        if not task.speed:
            return Text("")
        return Text(f"{task.speed:,.1f}/s" if task.speed < 10 else f"{task.speed:,.0f}/s", style="progress.data.speed")


@contextmanager
def stage_progress(console: Console) -> Iterator[ProgressCallback]:
    """Yields progress(stage, done, total); one bar per stage."""
    if not console.is_terminal:
        yield lambda stage, done, total: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update

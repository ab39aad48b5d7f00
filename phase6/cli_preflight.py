"""`python -m phase6 preflight`: does the configured warehouse have every column, with its type, that the export
types' queries read? The same check the runner makes before a run's first export (phase6/warehouse/preflight.py)."""
from __future__ import annotations

import typer
from rich.console import Console

from exporters import EXPORT_MODULES, catalog, expand

from .config import Settings
from .warehouse import WarehouseError, open_warehouse
from .warehouse.preflight import check, required_columns

console = Console()
err = Console(stderr=True)


def preflight(
    types: str = typer.Option("all", help="Export types or groups whose queries to check."),
) -> None:
    """Compare the columns and types the export types' queries need with the warehouse's (exit 1 on a problem)."""
    requested = expand([name.strip() for name in types.split(",") if name.strip()])
    unknown = [name for name in requested if name not in EXPORT_MODULES]
    if unknown or not requested:
        err.print(f"unknown export types: {', '.join(unknown) or '(none given)'}")
        raise typer.Exit(2)
    specs = [catalog()[name] for name in requested]
    settings = Settings()
    warehouse = open_warehouse(settings)
    try:
        problems = check(warehouse, specs)
    except WarehouseError as error:
        err.print(f"[red]could not read the warehouse's columns[/red]: {error}")
        raise typer.Exit(1)
    finally:
        warehouse.close()
    needed = required_columns(specs)
    if not problems:
        tables = len({table for table, _ in needed})
        console.print(f"{settings.warehouse_url}: all {len(needed)} columns of {tables} tables that "
                      f"{len(specs)} export types read are there, with their types", soft_wrap=True)
        return
    for problem in problems:
        console.print(problem.message(), soft_wrap=True, markup=False)
    err.print(f"{len(problems)} of {len(needed)} columns differ; these export types would be skipped: "
              f"{', '.join(sorted({name for problem in problems for name in problem.exports}))}", soft_wrap=True)
    raise typer.Exit(1)

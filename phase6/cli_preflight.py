"""`python -m phase6 preflight`: does the configured warehouse have every column, with its type, that the export
types' queries read? The same check the runner makes before a run's first export (phase6/warehouse/preflight.py)."""
from __future__ import annotations

import typer

from exporters import catalog, expand

from .cli_console import out
from .cli_errors import CommandError, UsageMistake
from .cli_requests import TYPES_HELP, split_types
from .config import Settings
from .warehouse import WarehouseError, open_warehouse
from .warehouse.preflight import check, required_columns


def preflight(
    types: str = typer.Option("all", help=TYPES_HELP),
) -> None:
    """Compare the columns and types the export types' queries need with the warehouse's (exit 1 on a problem)."""
    requested = expand(split_types(types))
    unknown = [name for name in requested if name not in catalog()]
    if unknown or not requested:
        raise UsageMistake(f"--types: unknown export types: {', '.join(unknown) or '(none given)'}")
    specs = [catalog()[name] for name in requested]
    settings = Settings()
    warehouse = open_warehouse(settings)
    try:
        problems = check(warehouse, specs)
    except WarehouseError as error:
        raise CommandError(f"could not read the warehouse's columns: {error}") from error
    finally:
        warehouse.close()
    needed = required_columns(specs)
    if not problems:
        tables = len({table for table, _ in needed})
        out().print(f"{settings.warehouse_url}: all {len(needed)} columns of {tables} tables that "
                      f"{len(specs)} export types read are there, with their types", soft_wrap=True)
        return
    for problem in problems:
        out().print(problem.message(), soft_wrap=True, markup=False)
    raise CommandError(f"{len(problems)} of {len(needed)} columns differ; these export types would be skipped: "
                       f"{', '.join(sorted({name for problem in problems for name in problem.exports}))}")

"""Running sweep tasks: in this process, or on Dask (a local cluster or a scheduler).

Every task is independent and returns one row; rows are collected as they
finish (for the progress callback) and sorted by point index by the caller,
so the table does not depend on where or in which order points ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from desim.analysis._dask import dask_client
from desim.analysis._sweep_run import run_point
from desim.errors import DesimError

__all__ = ["run_local", "run_dask"]

Progress = Callable[[int, int, int], None] | None


def _report(progress: Progress, rows: list[dict], total: int) -> None:
    if progress is not None:
        progress(len(rows), total, sum(r["status"] != "ok" for r in rows))


def run_local(tasks: Sequence[dict], progress: Progress = None) -> list[dict]:
    """Run every task here, one after the other."""
    rows: list[dict] = []
    _report(progress, rows, len(tasks))
    for task in tasks:
        rows.append(run_point(task))
        _report(progress, rows, len(tasks))
    return rows


def run_dask(tasks: Sequence[dict], workers: int | None = None, scheduler: str | None = None,
             progress: Progress = None) -> list[dict]:
    """Run every task on Dask.

    Parameters
    ----------
    tasks : sequence of dict
        Payloads for `run_point` (small: a scenario dict and a folder name).
    workers : int, optional
        Start a `LocalCluster` of this many worker processes (one thread
        each, HTTP server on a free port, listening on 127.0.0.1 only) for this sweep.
    scheduler : str, optional
        Address of an existing scheduler (e.g. ``tcp://10.0.0.5:8786``);
        its workers must be able to import desim and read the scenario's
        data files at the same paths.

    Raises
    ------
    DesimError
        If dask.distributed is not installed, both or neither of `workers`
        and `scheduler` are given, or the scheduler cannot be reached.
    """
    if (workers is None) == (scheduler is None):
        raise DesimError("sweep on Dask: expected exactly one of workers or scheduler")
    if workers is not None and workers < 1:
        raise DesimError(f"sweep --workers: expected >= 1, got {workers}")
    with dask_client(workers, scheduler, "sweep") as (client, distributed):
        futures = [client.submit(run_point, task, pure=False) for task in tasks]
        index_of = {f.key: task["index"] for f, task in zip(futures, tasks, strict=True)}
        rows: list[dict] = []
        _report(progress, rows, len(tasks))
        for future in distributed.as_completed(futures):
            try:
                rows.append(future.result())
            except Exception as exc:  # a lost worker, not an error inside the run
                rows.append({"point": index_of[future.key], "status": "failed",
                             "error": f"{type(exc).__name__}: {exc}", "warnings": None,
                             "runtime_s": None})
            _report(progress, rows, len(tasks))
        return rows

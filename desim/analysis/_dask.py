"""A Dask client for a run's tasks: a local cluster of worker processes, or a scheduler."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager

from desim.errors import DesimError

__all__ = ["dask_client", "CONNECT_TIMEOUT"]

#: How long to try reaching a scheduler before giving up.
CONNECT_TIMEOUT = "20s"


def _import_distributed(what: str):
    try:
        import distributed
    except ImportError as exc:
        raise DesimError(f"{what} on Dask needs dask.distributed: install desim[distributed] "
                         "(pip install 'desim[distributed]')") from exc
    return distributed


@contextmanager
def dask_client(workers: int | None, scheduler: str | None, what: str):
    """Yield ``(client, distributed)``; the cluster (if started here) is closed after.

    Parameters
    ----------
    workers : int, optional
        Start a `LocalCluster` of this many worker processes (one thread each,
        its HTTP server on a free port, listening on 127.0.0.1 only).
    scheduler : str, optional
        Address of an existing scheduler (e.g. ``tcp://10.0.0.5:8786``).
    what : str
        The command named in messages (``"desim run"``).

    Raises
    ------
    DesimError
        If dask.distributed is not installed, or the scheduler cannot be reached
        within `CONNECT_TIMEOUT`.
    """
    if (workers is None) == (scheduler is None):
        raise DesimError(f"{what}: expected exactly one of --workers and --scheduler")
    distributed = _import_distributed(what)
    cluster = None
    # Workers' spill and lock files go to a folder of this run, removed afterwards.
    scratch = tempfile.TemporaryDirectory(prefix="desim-dask-", ignore_cleanup_errors=True)
    try:
        if workers is not None:
            import dask

            # ":0": the scheduler's HTTP server on a free port (the default probes
            # 8787 and warns when another cluster holds it)
            with dask.config.set({"temporary-directory": scratch.name}):
                cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=":0", host="127.0.0.1", scheduler_port=0,
                    local_directory=scratch.name)
            client = distributed.Client(cluster)
        else:
            try:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, ValueError, TypeError) as exc:
                raise DesimError(f"{what} --scheduler {scheduler}: expected the address of a "
                                 f"running Dask scheduler (e.g. tcp://10.0.0.5:8786), could "
                                 f"not connect ({exc})") from exc
        try:
            yield client, distributed
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
        scratch.cleanup()

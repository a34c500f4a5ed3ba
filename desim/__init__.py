"""desim: discrete-event simulation of residential energy prosumers for VPP studies."""

from __future__ import annotations

__version__ = "0.1.0"

from desim.assets import (  # noqa: E402
    BESS,
    ElectricVehicle,
    MarketEvaluation,
    Prosumer,
    SolarPV,
)
from desim.catalog import lookup_battery, lookup_vehicle  # noqa: E402
from desim.errors import (  # noqa: E402
    CatalogError,
    DesimError,
    DesimWarning,
    OutputError,
    ParameterError,
    ParseError,
    ScenarioError,
)
from desim.fleet import FleetGenerator, FleetTable, generate_fleet_table  # noqa: E402
from desim.llm import GeminiParser, LLMProsumerParser, RuleBasedParser, get_parser  # noqa: E402
from desim.scenario import Scenario, load_scenario  # noqa: E402

__all__ = [
    "__version__",
    "DesimError",
    "DesimWarning",
    "ParameterError",
    "ScenarioError",
    "CatalogError",
    "ParseError",
    "OutputError",
    "BESS",
    "ElectricVehicle",
    "SolarPV",
    "Prosumer",
    "MarketEvaluation",
    "lookup_battery",
    "lookup_vehicle",
    "FleetGenerator",
    "FleetTable",
    "generate_fleet_table",
    "LLMProsumerParser",
    "RuleBasedParser",
    "GeminiParser",
    "get_parser",
    "Scenario",
    "load_scenario",
    "run",
]


def run(scenario, progress=None, counterfactual=None, parser=None, *, shards=None,
        workers=None, scheduler=None, output=None, overwrite=False):
    """Run a scenario (a `Scenario` or a path to a TOML file).

    Without sharding, returns a `RunOutput`: ``run(...).result.log.to_pandas(start)``
    is the event log, ``.result.series`` the fleet's per-interval power, and
    `desim.analysis.metrics.summarize` the summary.

    With `shards` (or a ``[run]`` table giving them) the fleet runs as that many
    shards, one after another here, on a local Dask cluster of `workers`
    processes, or on the Dask cluster at `scheduler`; every shard writes its part
    of the partitioned log ``output/events/`` and the run directory `output` is
    written as by ``desim run`` (required then; `overwrite` replaces a previous
    run's). Returns a `desim.analysis.sharded.ShardedRun`; raises
    `desim.errors.ShardError` naming the failed shards, if any.
    """
    from desim.errors import DesimError

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    from desim.analysis.sharded import resolve_shards

    shards, workers, scheduler = resolve_shards(scenario, shards, workers, scheduler,
                                                prefix="")
    if shards is None:
        if output is not None:
            raise DesimError(f"run: output={output!r} is for sharded runs; expected shards "
                             "given too (a serial run returns its outputs)")
        from desim.sim.run import simulate

        return simulate(scenario, progress=progress, counterfactual=counterfactual,
                        parser=parser)
    if output is None:
        raise DesimError(f"run: shards={shards} writes a partitioned event log; expected "
                         "output=DIRECTORY, got none")
    from desim.analysis.sharded import run_sharded_scenario

    return run_sharded_scenario(scenario, output, shards, workers, scheduler,
                                counterfactual=counterfactual, parser=parser,
                                progress=progress, overwrite=overwrite)

"""desim.llm: text descriptions of prosumers to validated configs.

`RuleBasedParser` (offline, the default) and `GeminiParser` (google-genai
structured output) both pass through one validation layer
(`desim.llm.validate`); `HybridParser` lets the rules fill what the model
left empty. `LLMProsumerParser` is the seed API; `configs_to_fleet_table`
turns configs into fleet rows. See docs/parser.md.
"""

from desim.llm.cache import ParseCache
from desim.llm.config import CONFIG_FIELDS, ProsumerConfig
from desim.llm.evaluate import evaluate, load_labelled
from desim.llm.fleet import (
    DEFAULTS,
    PROFILE_PREFERENCES,
    configs_to_fleet_table,
    prosumer_from_config,
    resolve_defaults,
)
from desim.llm.gemini import GeminiParser, ProsumerWire
from desim.llm.parser import (
    PARSER_NAMES,
    CachedParser,
    HybridParser,
    LLMProsumerParser,
    Parser,
    get_parser,
)
from desim.llm.rules import RuleBasedParser
from desim.llm.validate import validate_config


def parse_prosumer_description(text: str, parser: str = "rules", **options) -> dict:
    """Seed-API spelling: one description to the flat config dict."""
    return LLMProsumerParser(parser, **options).text_to_prosumer_config(text)


__all__ = [
    "ProsumerConfig",
    "CONFIG_FIELDS",
    "Parser",
    "RuleBasedParser",
    "GeminiParser",
    "HybridParser",
    "CachedParser",
    "ProsumerWire",
    "LLMProsumerParser",
    "parse_prosumer_description",
    "get_parser",
    "PARSER_NAMES",
    "validate_config",
    "ParseCache",
    "evaluate",
    "load_labelled",
    "configs_to_fleet_table",
    "resolve_defaults",
    "prosumer_from_config",
    "DEFAULTS",
    "PROFILE_PREFERENCES",
]

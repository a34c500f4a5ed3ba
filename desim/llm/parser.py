"""The parser protocol, the hybrid parser, `get_parser` and the seed-API `LLMProsumerParser`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from desim.errors import ParseError
from desim.llm.cache import ParseCache, cache_key
from desim.llm.config import ProsumerConfig
from desim.llm.evaluate import field_matches
from desim.llm.gemini import GeminiParser
from desim.llm.rules import RuleBasedParser
from desim.llm.validate import validate_config

__all__ = ["Parser", "HybridParser", "CachedParser", "get_parser", "LLMProsumerParser",
           "PARSER_NAMES"]

PARSER_NAMES = ("rules", "gemini", "hybrid")


@runtime_checkable
class Parser(Protocol):
    """Anything that turns text into a validated `ProsumerConfig`."""

    name: str
    model: str | None
    prompt_version: str

    def parse(self, text: str) -> ProsumerConfig: ...

    def parse_many(self, texts: list[str]) -> list[ProsumerConfig]: ...


class HybridParser:
    """The rule parser first; Gemini only for the fields the rules are unsure of.

    A description whose rule reading is sure of every field costs no request.
    Otherwise Gemini is asked for the unsure fields only (`ProsumerConfig.unsure`:
    conflicting candidates, a refused number, an ambiguous product, a
    percentage or power figure the rules could not place); its answer for
    those fields replaces the rules' (each change is a warning), every other
    field keeps the rules' value, and the result is validated again.
    """

    name = "hybrid"

    def __init__(self, gemini: GeminiParser | None = None, rules: RuleBasedParser | None = None,
                 **gemini_options: Any):
        self.gemini = gemini or GeminiParser(**gemini_options)
        self.rules = rules or RuleBasedParser()
        self.model = self.gemini.model
        self.prompt_version = f"{self.gemini.prompt_version}+{self.rules.prompt_version}"

    def combine(self, model: ProsumerConfig, rules: ProsumerConfig) -> ProsumerConfig:
        """The rules' config with the model's values for the rules' unsure fields."""
        values: dict[str, Any] = {}
        provenance: dict[str, str] = {}
        warnings: list[str] = []
        for name in rules.unsure:
            m, r = getattr(model, name), getattr(rules, name)
            if m is not None and not field_matches(m, r):
                values[name], provenance[name] = m, "stated"
                warnings.append(f"{name}: the rules were unsure ({r!r}); the model read {m!r}")
        merged = rules.replace(values, provenance, warnings + list(model.warnings))
        return validate_config(attrs.evolve(merged, unsure=()))

    def parse(self, text: str) -> ProsumerConfig:
        return self.parse_many([text])[0]

    def parse_many(self, texts: list[str]) -> list[ProsumerConfig]:
        out = [self.rules.parse(t) for t in texts]
        ask = [i for i, config in enumerate(out) if config.unsure]
        if ask:
            answers = self.gemini.parse_many([texts[i] for i in ask],
                                             fields=[out[i].unsure for i in ask])
            for i, answer in zip(ask, answers, strict=True):
                out[i] = self.combine(answer, out[i])
        return out


class CachedParser:
    """A parser whose results are kept in a `ParseCache` (network parsers only)."""

    def __init__(self, inner: Any, cache: ParseCache):
        self.inner, self.cache = inner, cache
        self.name, self.model, self.prompt_version = inner.name, inner.model, inner.prompt_version

    def _key(self, text: str) -> str:
        return cache_key(self.name, self.model, self.prompt_version, text)

    def parse(self, text: str) -> ProsumerConfig:
        return self.parse_many([text])[0]

    def parse_many(self, texts: list[str]) -> list[ProsumerConfig]:
        out: list[ProsumerConfig | None] = [self.cache.get(self._key(t)) for t in texts]
        missing = [i for i, c in enumerate(out) if c is None]
        if missing:
            fresh = self.inner.parse_many([texts[i] for i in missing])
            for i, config in zip(missing, fresh, strict=True):
                self.cache.put(self._key(texts[i]), config)
                out[i] = config
        return [c for c in out if c is not None]


def get_parser(name: str = "rules", *, cache: bool | str | Path = True, **options: Any) -> Any:
    """A parser by name: "rules" (offline default), "gemini" or "hybrid".

    Parameters
    ----------
    name : str
        "rules", "gemini" or "hybrid".
    cache : bool or path
        For "gemini" and "hybrid": keep results on disk (True: the default
        directory, see `desim.llm.cache`; a path: that directory; False: off).
    **options
        Passed to `GeminiParser` (model, base_url, api_key, timeout_s, ...).
    """
    if name == "rules":
        if options:
            raise ParseError(f"parser 'rules': takes no options, got {sorted(options)}")
        return RuleBasedParser()
    if name not in PARSER_NAMES:
        raise ParseError(f"parser: expected one of {', '.join(PARSER_NAMES)}, got {name!r}")
    inner: Any = GeminiParser(**options) if name == "gemini" else HybridParser(**options)
    if cache is False:
        return inner
    return CachedParser(inner, ParseCache(None if cache is True else cache))


class LLMProsumerParser:
    """The seed API: text descriptions to config dicts and prosumers.

    Parameters
    ----------
    parser : str
        "rules" (default, offline), "gemini" or "hybrid".
    **options
        Passed to `get_parser` (cache, model, base_url, api_key, ...).
    """

    def __init__(self, parser: str = "rules", **options: Any):
        self.parser = get_parser(parser, **options)

    def parse(self, text: str) -> ProsumerConfig:
        """The full `ProsumerConfig` (fields, provenance, warnings)."""
        _check_text(text, "text")
        return self.parser.parse(text)

    def text_to_prosumer_config(self, text: str) -> dict[str, Any]:
        """The seed API's flat dict (None for fields the text does not settle)."""
        return self.parse(text).to_dict()

    parse_prosumer_description = text_to_prosumer_config

    def batch_parse(self, texts: list[str]) -> list[dict[str, Any]]:
        """Flat dicts for several descriptions, in order."""
        for i, t in enumerate(texts):
            _check_text(t, f"texts[{i}]")
        return [c.to_dict() for c in self.parser.parse_many(list(texts))]

    def create_prosumer_from_description(self, config: dict[str, Any] | ProsumerConfig | str,
                                         load_data: Any = None,
                                         prosumer_id: str = "llm_generated_001") -> Any:
        """A desim `Prosumer` from a config (dict, ProsumerConfig or text); unset fields defaulted.

        Defaults are those of `desim.llm.fleet.resolve_defaults`; ``load_data``
        (a kW series or a load profile id) is passed to the prosumer.
        """
        from desim.llm.fleet import prosumer_from_config

        if isinstance(config, str):
            config = self.parse(config)
        elif isinstance(config, dict):
            from desim.llm.validate import config_from_raw
            config = config_from_raw(config, "config")
        return prosumer_from_config(config, prosumer_id, load_data)


def _check_text(text: Any, where: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ParseError(f"{where}: expected a non-empty description, got {text!r}")

"""Configuration dataclasses in and out: from mappings and YAML files (unknown keys and bad types named
by file and field), one command-line flag per field, and nested configs with their flat spelling.

A dataclass field whose type is a dataclass (``TrainConfig.encoder: EpicConfig``) nests it: YAML may
give it as a mapping or spell its fields flat at the top level (``projection: mlp``), and its fields
are flags of their own (``--projection mlp``) unless the outer class has a field of that name.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration file or override is malformed; the message names the file and field."""


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Convert a YAML/CLI value to the field's declared type (str, int, float, bool, list, optional)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        return _coerce(value, args[0], where)
    if origin in (list, tuple):
        (item,) = typing.get_args(annotation)[:1] or (str,)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v != ""]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item, where) for v in value]
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if annotation in (int, float, str):
        try:
            if annotation is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            return annotation(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected {annotation.__name__}, got {value!r}") from None
    return value


def nested_fields(cls: type) -> dict[str, type]:
    """The fields of ``cls`` that nest a config dataclass, and its type."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if dataclasses.is_dataclass(hints[f.name])}


def nested_default(cls: type, name: str) -> Any:
    """A fresh default of the nested config field ``name`` of ``cls``."""
    return next(f for f in dataclasses.fields(cls) if f.name == name).default_factory()


def flat_names(cls: type) -> dict[str, str]:
    """Flat spelling -> nested field holding it, for the nested fields' own fields (outer names win)."""
    own = {f.name for f in dataclasses.fields(cls)}
    hidden = set(getattr(cls, "NESTED_HIDDEN", ()))
    return {
        f.name: outer
        for outer, inner in nested_fields(cls).items()
        for f in dataclasses.fields(inner)
        if f.name not in own and f.name not in hidden
    }


def from_dict(cls: type[T], data: dict[str, Any], source: str = "<dict>") -> T:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys and coercing types."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    flat, nested_types = flat_names(cls), nested_fields(cls)
    unknown = sorted(set(data) - names - set(flat))
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {unknown}; known fields: {sorted(names | set(flat))}")
    kwargs: dict[str, Any] = {}
    moved: dict[str, dict[str, Any]] = {}
    for k, v in data.items():
        if k in names and k in nested_types:
            if dataclasses.is_dataclass(v):
                v = dataclasses.asdict(v)
            if not isinstance(v, dict):
                raise ConfigError(f"{source}: field '{k}': expected a mapping of its fields, got {v!r}")
            moved.setdefault(k, {}).update(v)
        elif k in names:
            kwargs[k] = _coerce(v, hints[k], f"{source}: field '{k}'")
        else:
            moved.setdefault(flat[k], {})[k] = v
    for outer, values in moved.items():
        nested = {**dataclasses.asdict(nested_default(cls, outer)), **values}
        kwargs[outer] = from_dict(nested_types[outer], nested, source)
    return cls(**kwargs)


def accept_flat_keywords(cls: type[T]) -> type[T]:
    """Class decorator: ``cls(projection="mlp")`` sets the nested field's ``projection`` (the flat
    spelling of older versions keeps working), and reading ``obj.projection`` reads it there."""
    init, flat = cls.__init__, flat_names(cls)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        moved: dict[str, dict[str, Any]] = {}
        for k in [k for k in kwargs if k in flat]:
            moved.setdefault(flat[k], {})[k] = kwargs.pop(k)
        for outer, values in moved.items():
            base = kwargs.get(outer) or nested_default(cls, outer)
            kwargs[outer] = dataclasses.replace(base, **values)
        init(self, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in flat and flat[name] in self.__dict__:
            return getattr(self.__dict__[flat[name]], name)
        raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")

    cls.__init__, cls.__getattr__ = __init__, __getattr__
    return cls


def load_yaml(cls: type[T], path: str | Path, overrides: dict[str, Any] | None = None) -> T:
    """Read ``cls`` from a YAML file, then apply ``overrides`` (e.g. parsed from the CLI)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of field: value at the top level")
    data.update(overrides or {})
    return from_dict(cls, data, str(path))


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings (values as YAML scalars) into a dict."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        out[key.strip().replace("-", "_")] = yaml.safe_load(raw) if raw else ""
    return out


def flat_dict(obj: Any) -> dict[str, Any]:
    """``asdict`` with nested configs' fields at the top level (outer names win), as flags spell them."""
    out = dataclasses.asdict(obj)
    for outer in nested_fields(type(obj)):
        inner = out.pop(outer)
        out.update({k: v for k, v in inner.items() if k not in out})
    return out


def add_dataclass_flags(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = ()) -> None:
    """One ``--field-name`` flag per field, nested configs' fields included (values are coerced and
    checked by the config)."""
    hints = typing.get_type_hints(cls)
    nested = nested_fields(cls)
    flags = [(f.name, f.default, hints[f.name]) for f in dataclasses.fields(cls) if f.name not in nested]
    for outer, inner in nested.items():
        names, inner_hints = flat_names(cls), typing.get_type_hints(inner)
        default = nested_default(cls, outer)
        flags += [(n, getattr(default, n), inner_hints[n]) for n, o in names.items() if o == outer]
    for name, default, hint in flags:
        if name in skip:
            continue
        flag = "--" + name.replace("_", "-")
        shown = "[...]" if default is dataclasses.MISSING else default
        if hint is bool:
            parser.add_argument(flag, dest=name, nargs="?", const="true", default=None, help=f"(default {shown})")
        else:
            parser.add_argument(flag, dest=name, default=None, help=f"(default {shown})")


def dataclass_from_args(cls: type[T], args: argparse.Namespace, config_path: str | None) -> T:
    """``cls`` from the YAML file ``config_path`` (if any) with the flags given on the command line over it."""
    known = {f.name for f in dataclasses.fields(cls)} | set(flat_names(cls))
    overrides = {k: v for k, v in vars(args).items() if k in known and v is not None}
    return load_yaml(cls, config_path, overrides) if config_path else from_dict(cls, overrides, "command line")

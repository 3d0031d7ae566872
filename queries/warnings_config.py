"""Warning thresholds: config/warnings.toml, optionally overridden per deployment.

Validated when loaded: an unknown key, a wrong type or an impossible value is an error that
names the key, never a silent fallback to a default."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "warnings.toml"
ENV = "OVERSIGHT_WARNINGS_CONFIG"

# section.key -> (attribute, kind, minimum, maximum)
_FIELDS = {
    ("R2", "days"): ("r2_days", int, 0, 3650),
    ("R2", "progress_below"): ("r2_progress_below", float, 0, 100),
    ("R3", "lag_points"): ("r3_lag_points", float, 0, 100),
    ("R4", "days"): ("r4_days", int, 1, 3650),
    ("C2", "days"): ("c2_days", int, 0, 3650),
    ("C3", "count"): ("c3_count", int, 1, 10_000),
    ("C3", "window_days"): ("c3_window_days", int, 1, 3650),
    ("K1", "days"): ("k1_days", int, 1, 3650),
    ("K2", "days"): ("k2_days", int, 1, 3650),
    ("deadlines", "complaint_working_days"): ("complaint_working_days", int, 1, 3650),
    ("deadlines", "rectification_working_days"): ("rectification_working_days", int, 1, 3650),
}


class ConfigError(ValueError):
    """A bad warnings configuration, with a message naming the key."""


@dataclass(frozen=True)
class WarningConfig:
    r2_days: int = 15
    r2_progress_below: float = 80
    r3_lag_points: float = 30
    r4_days: int = 30
    c2_days: int = 3
    c3_count: int = 3
    c3_window_days: int = 90
    k1_days: int = 180
    k2_days: int = 90
    complaint_working_days: int = 15
    rectification_working_days: int = 60


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"预警配置文件不存在：{path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"预警配置文件格式错误（{path}）：{exc}") from None


def _apply(values: dict, raw: dict, source: Path) -> None:
    for section, body in raw.items():
        if not isinstance(body, dict):
            raise ConfigError(f"预警配置 {source}：未知配置项 {section}")
        for key, value in body.items():
            spec = _FIELDS.get((section, key))
            if spec is None:
                raise ConfigError(f"预警配置 {source}：未知配置项 {section}.{key}")
            attr, kind, lo, hi = spec
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
                raise ConfigError(f"预警配置 {section}.{key} 应为{'整数' if kind is int else '数字'}，实际为 {value!r}")
            if not lo <= value <= hi:
                raise ConfigError(f"预警配置 {section}.{key} 应在 {lo}–{hi} 之间，实际为 {value}")
            values[attr] = kind(value)


def load(path: str | Path | None = None) -> WarningConfig:
    """The repo's defaults, then the override named by `path` or OVERSIGHT_WARNINGS_CONFIG."""
    values: dict = {}
    _apply(values, _read(DEFAULT_PATH), DEFAULT_PATH)
    override = path or os.environ.get(ENV)
    if override:
        _apply(values, _read(Path(override)), Path(override))
    return WarningConfig(**values)

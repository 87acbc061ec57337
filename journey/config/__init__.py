"""Loading and validating the CS-ops-owned YAML in `config/`."""

from journey.config.errors import ConfigError, ConfigProblem
from journey.config.loader import Config, ConfigReport, load_config, validate_config

__all__ = [
    "Config",
    "ConfigError",
    "ConfigProblem",
    "ConfigReport",
    "load_config",
    "validate_config",
]

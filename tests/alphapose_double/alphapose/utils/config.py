"""Double of ``alphapose.utils.config``: ``update_config(config_file)`` reads the YAML."""

import yaml


class _Config(dict):
    """Attribute access like AlphaPose's EasyDict."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _wrap(value):
    if isinstance(value, dict):
        return _Config({k: _wrap(v) for k, v in value.items()})
    return value


def update_config(config_file):
    with open(config_file) as f:
        return _wrap(yaml.safe_load(f))

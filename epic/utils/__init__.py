"""Small helpers every layer uses: atomic files and folders and the cache folder (:mod:`.io`), dataclass
configs from YAML and command-line flags (:mod:`.config_io`). The bottom layer: imports nothing of epic."""

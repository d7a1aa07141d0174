"""The app's configuration: defaults.py holds every setting's default, loading.py reads
instance/config.py and the environment over them (shop.configuration.loading.load)."""

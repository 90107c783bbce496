"""Package data of `qa`, installed as `qa._data`: the field's data files (see qa/resources.py); the seed documents
beside them are not installed. No code: the `__init__` only makes the folder a package importlib.resources finds."""

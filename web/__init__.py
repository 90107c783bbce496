"""Package data of `qa`, installed as `qa._web`: the page templates and static files (see qa/resources.py).
No code: the `__init__` only makes the folder a package that importlib.resources finds, editable or not."""

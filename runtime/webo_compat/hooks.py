"""Post-import hooks: run a function on a module right after it is executed.

A module named in the registry is loaded by its normal loader; once its code
has run, each callback registered for that name is called with the module.
If the module is already imported when a hook is registered, the callback
runs at once.
"""
import importlib.abc
import importlib.util
import sys

_callbacks = {}


class _HookedLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        for callback in _callbacks.get(module.__name__, ()):
            callback(module)

    def __getattr__(self, name):
        # get_source, get_filename, is_package... stay the real loader's.
        return getattr(self._loader, name)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    _busy = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _callbacks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _HookedLoader(spec.loader)
        return spec


_finder = _PostImportFinder()


def when_imported(name, callback):
    """Call ``callback(module)`` once module ``name`` has been executed."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    _callbacks.setdefault(name, []).append(callback)
    if name in sys.modules:
        callback(sys.modules[name])

"""Two plugins implement one hook; pluggy calls them in LIFO order, honours tryfirst and a hookwrapper."""
import pluggy

hookspec = pluggy.HookspecMarker("demo")
hookimpl = pluggy.HookimplMarker("demo")


class Spec:
    @hookspec
    def compute(self, x):
        """Return something computed from x."""


class Double:
    @hookimpl
    def compute(self, x):
        return 2 * x


class Square:
    @hookimpl(tryfirst=True)
    def compute(self, x):
        return x * x


class Wrap:
    @hookimpl(hookwrapper=True)
    def compute(self, x):
        outcome = yield
        outcome.force_result([r + 1 for r in outcome.get_result()])


pm = pluggy.PluginManager("demo")
pm.add_hookspecs(Spec)
pm.register(Double())
pm.register(Square())
pm.register(Wrap())
result = pm.hook.compute(x=5)
assert result == [26, 11], result
print("pluggy ok", result)

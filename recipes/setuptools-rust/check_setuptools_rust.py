"""setuptools-rust plugs into setuptools through its entry points: a Distribution given rust_extensions gets the
build_rust command, which knows the extension and its target (no Rust compiler is needed for this)."""
from setuptools.dist import Distribution

from setuptools_rust import Binding, RustExtension, build_rust

ext = RustExtension("demo._rust", "Cargo.toml", binding=Binding.PyO3, py_limited_api=False)
dist = Distribution({"name": "demo", "version": "1.0", "rust_extensions": [ext]})
cmd_class = dist.get_command_class("build_rust")
assert cmd_class is build_rust, cmd_class
assert dist.get_command_class("clean_rust").__module__.startswith("setuptools_rust"), "clean_rust missing"

cmd = dist.get_command_obj("build_rust")
cmd.ensure_finalized()
assert cmd.extensions == [ext], cmd.extensions
assert ext.name == "demo._rust" and ext.binding is Binding.PyO3 and ext.path.endswith("Cargo.toml")
# The extension is registered with setuptools so that bdist_wheel marks the wheel as platform-specific.
assert dist.has_ext_modules()
print("setuptools-rust ok")

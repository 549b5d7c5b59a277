"""Round trip keeps comments and key order; the safe loader through the C extension (ruamel.yaml.clib) agrees
with the pure-python one."""
import io

from ruamel.yaml import YAML

SOURCE = """\
# conda configuration
channels:
  - local   # first
  - defaults
ssl_verify: true
envs_dirs: [/opt/envs, ~/envs]
"""

yaml = YAML()  # round-trip
yaml.indent(mapping=2, sequence=4, offset=2)  # as conda writes .condarc
doc = yaml.load(SOURCE)
doc["channels"].append("archi")
doc["ssl_verify"] = False
out = io.StringIO()
yaml.dump(doc, out)
text = out.getvalue()
print(text)
expected = SOURCE.replace("  - defaults\n", "  - defaults\n  - archi\n").replace("ssl_verify: true", "ssl_verify: false")
assert text == expected, text
assert list(doc) == ["channels", "ssl_verify", "envs_dirs"]

c_loader = YAML(typ="safe")  # uses the C loader when ruamel.yaml.clib is present
py_loader = YAML(typ="safe", pure=True)
assert c_loader.Parser.__module__ == "_ruamel_yaml", c_loader.Parser
assert py_loader.Parser.__module__ != "_ruamel_yaml", py_loader.Parser
a = c_loader.load(SOURCE)
b = py_loader.load(SOURCE)
assert a == b == {"channels": ["local", "defaults"], "ssl_verify": True, "envs_dirs": ["/opt/envs", "~/envs"]}, (a, b)
print("ruamel.yaml ok")

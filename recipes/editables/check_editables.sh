# An editable project maps module "mymod" to a source directory outside sys.path; installing the files it
# generates into a site directory makes "mymod" importable from there.
set -euo pipefail
mkdir -p project/src/mymod site
echo 'ANSWER = 42' > project/src/mymod/__init__.py
python - <<'PY'
import os
from editables import EditableProject

p = EditableProject("mymod", os.path.abspath("project"))
p.map("mymod", "src/mymod")
for name, content in p.files():
    with open(os.path.join("site", name), "w") as f:
        f.write(content)
assert p.dependencies() == ["editables"], p.dependencies()
PY
ls site
python -c 'import site, sys; site.addsitedir("site"); import mymod; assert mymod.ANSWER == 42; print(mymod.__file__)' | grep -F project/src/mymod/__init__.py

#!/bin/sh
# The Python interpreter runs, pip works, and every package pinned in the template's requirements.txt is installed
# at its pinned version and importable, both by the plain python3 (what `vm.exec` and cron use) and by a login
# shell's python3 (vboxmcp's venv, docs/templates.md "pip and PEP 668"). The checks run in tests/ of the template.
set -e
python3 -c 'import sys; assert sys.version_info >= (3, 11), sys.version; print("python", sys.version.split()[0])'
sh -lc 'python3 -m pip --version' || { echo "pip does not run in a login shell"; exit 1; }
pins=$(grep -oE '^[A-Za-z0-9._-]+==[^ #]+' ../requirements.txt) || { echo "no pinned requirement in requirements.txt"; exit 1; }
# each pin: the installed distribution's version, then every top-level module it provides
prog='
import importlib, importlib.metadata as md, sys
provides = md.packages_distributions()
for pin in sys.stdin.read().split():
    name, want = pin.split("==", 1)
    have = md.version(name)
    assert have == want, f"{name}: {have} installed, requirements.txt pins {want}"
    key = md.distribution(name).metadata["Name"].lower().replace("_", "-")
    mods = [m for m, d in provides.items() if key in (x.lower().replace("_", "-") for x in d)]
    assert mods, f"{name} {have} provides no module"
    for m in mods:
        print(f"{sys.executable}: {name} {have}: import {m} from {importlib.import_module(m).__file__}")
'
echo "$pins" | python3 -c "$prog"
echo "$pins" | sh -lc 'python3 -c "$0"' "$prog"

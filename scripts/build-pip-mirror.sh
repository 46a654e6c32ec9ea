#!/usr/bin/env bash
# Builds a PEP 503 "simple" package index on disk holding the example's pip package, vboxmcp-hello 1.0.0, as a
# pure-Python wheel made here (our machines cannot reach PyPI). Serve OUT_DIR with any static HTTP server, for
# example `python3 -m http.server --bind 127.0.0.1 PORT --directory OUT_DIR`; pip then installs with
# `--index-url http://HOST:PORT/simple/` (a guest under QEMU user networking reaches the host at 10.0.2.2).
#
#   scripts/build-pip-mirror.sh OUT_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import base64, hashlib, html, os, sys, zipfile

out = sys.argv[1]
name, version, module = "vboxmcp-hello", "1.0.0", "vboxmcp_hello"
dist = f"{module}-{version}"
files = {
    f"{module}/__init__.py": (
        '"""A tiny package for the vboxmcp python-dev example."""\n'
        f'__version__ = "{version}"\n\n\n'
        'def greeting(who="world"):\n'
        '    return f"hello from {who} (vboxmcp-hello {__version__})"\n'),
    f"{dist}.dist-info/METADATA": (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        "Summary: A tiny package for the vboxmcp python-dev example\n"),
    f"{dist}.dist-info/WHEEL": (
        "Wheel-Version: 1.0\nGenerator: vboxmcp build-pip-mirror.sh\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
}
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join(f"{p},{digest(c.encode())},{len(c.encode())}\n" for p, c in files.items())
record += f"{dist}.dist-info/RECORD,,\n"
files[f"{dist}.dist-info/RECORD"] = record

pkg_dir = os.path.join(out, "simple", name)
os.makedirs(pkg_dir, exist_ok=True)
wheel = f"{dist}-py3-none-any.whl"
path = os.path.join(pkg_dir, wheel)
with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for p, c in files.items():
        info = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
        info.external_attr = 0o644 << 16
        z.writestr(info, c)
os.replace(path + ".tmp", path)
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
with open(os.path.join(pkg_dir, "index.html"), "w") as f:
    f.write(f'<!DOCTYPE html><html><body><a href="{html.escape(wheel)}#sha256={sha}">{html.escape(wheel)}</a></body></html>\n')
with open(os.path.join(out, "simple", "index.html"), "w") as f:
    f.write(f'<!DOCTYPE html><html><body><a href="{name}/">{name}</a></body></html>\n')
print(path)
PY
